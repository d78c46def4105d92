// The target lists of etc/aliases and ~/.forward: splits "a, \user, "|prog args", /file, :include:/path" into typed targets.
// Shared by local/aliases.ts and local/forward.ts; never throws: every bad target becomes an error with its line.
import { checkAddress } from '../../shared/address'

/** What one target of an alias or .forward asks for. */
export type RuleTargetKind = 'address' | 'program' | 'file' | 'include' | 'self'

export interface RuleTarget {
  /** address: a local name or user@domain; program: the command (no "|"); file: an absolute path; include: the file's path; self: "\user" (the user's own mailbox, no further aliasing or forwarding). */
  kind: RuleTargetKind
  value: string
  /** 1-based line of the file this target was written on. */
  line: number
}

export interface RuleLineError {
  /** The file's name as shown to people (e.g. "aliases", "/home/alice/.forward"). */
  file: string
  line: number
  message: string
}

/** How a target is written back in messages ("|prog", \user, :include:/x). */
export function targetText(target: Pick<RuleTarget, 'kind' | 'value'>): string {
  switch (target.kind) {
    case 'program': return `"|${target.value}"`
    case 'file': return /\s/.test(target.value) ? `"${target.value}"` : target.value
    case 'include': return `:include:${target.value}`
    case 'self': return `\\${target.value}`
    case 'address': return target.value
  }
}

interface RawToken {
  text: string
  /** The token was one quoted string from its first to its last character ("..."). */
  wholeQuoted: boolean
  /** The unquoted content when wholeQuoted. */
  unquoted: string
  line: number
}

/** A plain local name (dot-atom, ASCII, at most 64 octets): valid without the full check, which is much slower per call. */
const PLAIN_NAME = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64})*$/

/** Checks a local part or a full address as written in a rule; returns a reason or null. */
export function addressProblem(value: string): string | null {
  if (value.length <= 64 && PLAIN_NAME.test(value)) return null
  const check = checkAddress(value.includes('@') ? value : `${value}@localhost`)
  return check.ok ? null : check.reason
}

function classify(token: RawToken, file: string): RuleTarget | RuleLineError {
  const fail = (message: string): RuleLineError => ({ file, line: token.line, message })
  const body = token.wholeQuoted ? token.unquoted : token.text
  if (body.startsWith('|')) {
    const command = body.slice(1).trim()
    if (command === '') return fail(`"${token.text}": the program is missing after "|"`)
    if (!token.wholeQuoted && /\s/.test(body)) return fail(`${token.text}: a program with arguments must be quoted: "${body}"`)
    return { kind: 'program', value: command, line: token.line }
  }
  if (body.startsWith(':include:')) {
    const path = body.slice(':include:'.length).trim()
    if (!path.startsWith('/')) return fail(`${token.text}: the :include: file must be an absolute path`)
    if (!token.wholeQuoted && /\s/.test(path)) return fail(`${token.text}: a path with spaces must be quoted`)
    return { kind: 'include', value: path, line: token.line }
  }
  if (body.startsWith('/')) {
    if (!token.wholeQuoted && /\s/.test(body)) return fail(`${token.text}: a path with spaces must be quoted: "${body}"`)
    if (body.endsWith('/')) return fail(`${token.text}: a file target must name a file, not a directory`)
    return { kind: 'file', value: body, line: token.line }
  }
  if (!token.wholeQuoted && token.text.startsWith('\\')) {
    const user = token.text.slice(1).toLowerCase()
    if (user === '' || /[\s@"\\]/.test(user)) return fail(`${token.text}: "\\" must be followed by a local user name`)
    return { kind: 'self', value: user, line: token.line }
  }
  let address = token.text
  if (/^<[^<>]*>$/.test(address)) address = address.slice(1, -1).trim()
  if (address.includes('"') ? /\s/.test(address.replace(/"(?:[^"\\]|\\.)*"/g, '')) : /\s/.test(address)) {
    return fail(`"${token.text}" is not one address (separate addresses with commas, quote programs and paths)`)
  }
  const problem = addressProblem(address)
  if (problem !== null) return fail(`bad address "${token.text}": ${problem}`)
  const at = address.lastIndexOf('@')
  const normalised = at < 0 ? address.toLowerCase() : `${address.slice(0, at)}@${address.slice(at + 1).toLowerCase()}`
  return { kind: 'address', value: normalised, line: token.line }
}

/**
 * Splits a target list. `text` may span lines (an alias with continuation lines, or a whole .forward line);
 * `lines` is the file's line number of the text's first line, or of each of its lines (when comment lines were left out between them).
 * A newline is a separator like a comma when `newlineSeparates` (.forward), and plain white space otherwise (continued alias entries).
 */
export function tokenizeTargets(text: string, lines: number | readonly number[], file: string, newlineSeparates: boolean): { targets: RuleTarget[]; errors: RuleLineError[] } {
  const targets: RuleTarget[] = []
  const errors: RuleLineError[] = []
  const firstLine = typeof lines === 'number' ? lines : lines[0] ?? 1
  let segment = 0
  const lineOfSegment = (index: number): number => (typeof lines === 'number' ? lines + index : lines[index] ?? firstLine + index)
  let line = firstLine
  let current = ''
  let tokenLine = firstLine
  let quotedParts = 0
  let unquoted = ''
  /** Characters outside quotes that are not white space (a token that is only a quoted string has none). */
  let outsideQuotes = false
  /** The token has a non-blank character (so its line is known). */
  let started = false
  const finish = (): void => {
    const text = current.trim()
    if (text !== '') {
      const wholeQuoted = quotedParts === 1 && !outsideQuotes && text.startsWith('"') && text.endsWith('"')
      const result = classify({ text, wholeQuoted, unquoted, line: tokenLine }, file)
      if ('kind' in result) targets.push(result)
      else errors.push(result)
    }
    current = ''
    quotedParts = 0
    unquoted = ''
    outsideQuotes = false
    started = false
  }
  let i = 0
  while (i < text.length) {
    const char = text[i] as string
    if (char === '"') {
      if (!started) tokenLine = line
      started = true
      let j = i + 1
      let inner = ''
      let closed = false
      while (j < text.length) {
        const c = text[j] as string
        if (c === '\n') break
        if (c === '\\' && j + 1 < text.length && text[j + 1] !== '\n') {
          inner += text[j + 1]
          j += 2
          continue
        }
        if (c === '"') {
          closed = true
          break
        }
        inner += c
        j++
      }
      if (!closed) {
        const written = text.slice(i, j).trim()
        errors.push({ file, line, message: `unterminated quote: ${written.length > 60 ? written.slice(0, 60) + '…' : written} (a quoted string must end with " on the same line)` })
        current = ''
        quotedParts = 0
        unquoted = ''
        outsideQuotes = false
        started = false
        i = j
        continue
      }
      current += text.slice(i, j + 1)
      quotedParts++
      unquoted = inner
      i = j + 1
      continue
    }
    if (char === '\n') {
      if (newlineSeparates) finish()
      else current += ' '
      segment++
      line = lineOfSegment(segment)
      i++
      continue
    }
    if (char === ',') {
      finish()
      i++
      continue
    }
    if (!/\s/.test(char)) {
      if (!started) tokenLine = line
      started = true
      outsideQuotes = true
    }
    current += char
    i++
  }
  finish()
  return { targets, errors }
}
