// Parser of etc/aliases in sendmail's format: "name: target, target", continuation lines, # comments, quoted names and targets.
// Never throws: bad lines become errors with their line number; a duplicate name is a warning and the last entry wins (sendmail).
import { addressProblem, tokenizeTargets, type RuleLineError, type RuleTarget } from './rule-tokens'

export interface AliasEntry {
  /** The alias (a local part), lower-case. */
  name: string
  targets: RuleTarget[]
  /** First and last line of the entry (continuation lines included). */
  line: number
  endLine: number
  /** The entry as written, continuation lines joined with "\n". */
  raw: string
}

export interface ParsedAliases {
  entries: AliasEntry[]
  errors: RuleLineError[]
  /** Not errors: e.g. a duplicate name (the later entry replaces the earlier one). */
  warnings: RuleLineError[]
}

interface LogicalLine {
  line: number
  endLine: number
  lines: string[]
  /** The file's line number of each of `lines` (comment lines inside an entry are left out). */
  numbers: number[]
}

const isComment = (text: string): boolean => /^\s*#/.test(text)
const isBlank = (text: string): boolean => text.trim() === ''

/** Groups physical lines into entries: a line starting with white space continues the previous entry. */
function logicalLines(text: string, file: string, errors: RuleLineError[]): LogicalLine[] {
  const result: LogicalLine[] = []
  let current: LogicalLine | null = null
  text.split(/\r?\n/).forEach((physical, index) => {
    const line = index + 1
    if (isBlank(physical) || isComment(physical)) return
    if (/^\s/.test(physical)) {
      if (current === null) {
        errors.push({ file, line, message: 'a continuation line (starting with white space) with no entry before it' })
        return
      }
      current.lines.push(physical)
      current.numbers.push(line)
      current.endLine = line
      return
    }
    current = { line, endLine: line, lines: [physical], numbers: [line] }
    result.push(current)
  })
  return result
}

/** Splits "name: rest" at the first colon outside quotes; returns null without a colon. */
function splitName(first: string): { name: string; quoted: boolean; rest: string } | null {
  let inQuotes = false
  for (let i = 0; i < first.length; i++) {
    const c = first[i]
    if (c === '\\' && inQuotes) {
      i++
      continue
    }
    if (c === '"') inQuotes = !inQuotes
    if (c === ':' && !inQuotes) {
      const name = first.slice(0, i).trim()
      const quoted = name.length >= 2 && name.startsWith('"') && name.endsWith('"')
      return { name: quoted ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name, quoted, rest: first.slice(i + 1) }
    }
  }
  return null
}

function nameProblem(name: string, quoted: boolean): string | null {
  if (name === '') return 'the alias name before ":" is empty'
  if (!quoted && /\s/.test(name)) return `the alias name "${name}" contains spaces (quote it: "${name}":)`
  if (name.includes('@')) return `the alias name "${name}" contains @ (an alias is a local name: write it without @domain)`
  if (name.startsWith(':include')) return `":include:" cannot be an alias name`
  const problem = addressProblem(quoted ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name)
  return problem === null ? null : `bad alias name "${name}": ${problem}`
}

/** Parses the text of an aliases file; `file` names it in messages (e.g. "aliases"). */
export function parseAliases(text: string, file = 'aliases'): ParsedAliases {
  const errors: RuleLineError[] = []
  const warnings: RuleLineError[] = []
  const byName = new Map<string, AliasEntry>()
  for (const logical of logicalLines(text, file, errors)) {
    const first = logical.lines[0] as string
    const split = splitName(first)
    if (split === null) {
      errors.push({ file, line: logical.line, message: `missing ":" after the alias name in "${first.trim().slice(0, 60)}"` })
      continue
    }
    const problem = nameProblem(split.name, split.quoted)
    if (problem !== null) {
      errors.push({ file, line: logical.line, message: problem })
      continue
    }
    const listText = [split.rest, ...logical.lines.slice(1)].join('\n')
    const { targets, errors: targetErrors } = tokenizeTargets(listText, logical.numbers, file, false)
    if (targetErrors.length > 0) {
      errors.push(...targetErrors)
      continue
    }
    const name = split.name.toLowerCase()
    if (targets.length === 0) {
      errors.push({ file, line: logical.line, message: `the alias "${name}" has no target after ":"` })
      continue
    }
    const earlier = byName.get(name)
    if (earlier !== undefined) {
      warnings.push({ file, line: logical.line, message: `duplicate alias name "${name}": this entry replaces the one on line ${earlier.line}` })
      byName.delete(name)
    }
    byName.set(name, { name, targets, line: logical.line, endLine: logical.endLine, raw: logical.lines.join('\n') })
  }
  const entries = [...byName.values()].sort((a, b) => a.line - b.line)
  errors.sort((a, b) => a.line - b.line)
  return { entries, errors, warnings }
}

/** sendmail's "longest N bytes, N bytes total": the right-hand side as one line, and name + right-hand side. */
export function aliasSizes(entry: AliasEntry): { name: number; rhs: number } {
  const [first = '', ...rest] = entry.raw.split('\n')
  const rhs = (first.slice(first.indexOf(':') + 1) + rest.join('')).trimStart()
  return { name: Buffer.byteLength(entry.name), rhs: Buffer.byteLength(rhs) }
}
