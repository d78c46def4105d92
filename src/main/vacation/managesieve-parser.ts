// Reads ManageSieve (RFC 5804) server responses from a byte stream: lines of atoms, quoted strings and literals
// ({N} + CRLF + N octets), grouped into responses that end with OK, NO or BYE (with an optional response code).
// Hand-written (no npm library fits); anything outside the grammar raises a ProtocolViolation naming what was wrong.

export type Token =
  | { kind: 'atom'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'open' }
  | { kind: 'close' }

export type ResponseStatus = 'OK' | 'NO' | 'BYE'

export interface SieveResponse {
  status: ResponseStatus
  /** The response code in parentheses, e.g. ["QUOTA/MAXSIZE"], ["SASL", "…"], ["WARNINGS"]; [] when none. */
  code: string[]
  /** The human-readable text after the status, '' when none. */
  message: string
  /** The data lines before the status line (capabilities, LISTSCRIPTS entries, GETSCRIPT literal). */
  lines: Token[][]
}

export class ProtocolViolation extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolViolation'
  }
}

/** A line without CRLF longer than this (outside literals) is not ManageSieve. */
export const MAX_LINE_OCTETS = 64 * 1024
/** Literals larger than this (a script, a message) are refused. */
export const MAX_LITERAL_OCTETS = 16 * 1024 * 1024

const CR = 0x0d
const LF = 0x0a
const SP = 0x20
const QUOTE = 0x22
const BACKSLASH = 0x5c

function isAtomChar(byte: number): boolean {
  return byte > SP && byte < 0x7f && byte !== QUOTE && byte !== 0x28 && byte !== 0x29 && byte !== 0x7b
}

const printable = (bytes: Buffer): string => JSON.stringify(bytes.toString('latin1').slice(0, 80))

/** Parses one line starting at `start`: its tokens and where the next line starts, or null when more bytes are needed. */
export function parseLine(buffer: Buffer, start: number): { tokens: Token[]; next: number } | null {
  const tokens: Token[] = []
  let i = start
  let plainOctets = 0
  for (;;) {
    if (plainOctets > MAX_LINE_OCTETS) throw new ProtocolViolation(`a response line is longer than ${MAX_LINE_OCTETS} octets without a line end`)
    if (i >= buffer.length) return null
    const byte = buffer[i] as number
    if (byte === CR) {
      if (i + 1 >= buffer.length) return null
      if (buffer[i + 1] !== LF) throw new ProtocolViolation(`a bare CR in a response line: ${printable(buffer.subarray(start, i + 2))}`)
      if (tokens.length === 0) throw new ProtocolViolation('an empty response line')
      return { tokens, next: i + 2 }
    }
    if (byte === LF) throw new ProtocolViolation(`a bare LF (without CR) ends a response line: ${printable(buffer.subarray(start, i + 1))}`)
    if (byte === SP) {
      i++
      plainOctets++
      continue
    }
    if (byte === 0x28 || byte === 0x29) {
      tokens.push(byte === 0x28 ? { kind: 'open' } : { kind: 'close' })
      i++
      plainOctets++
      continue
    }
    if (byte === QUOTE) {
      const bytes: number[] = []
      let j = i + 1
      for (;;) {
        if (j >= buffer.length) {
          if (j - start > MAX_LINE_OCTETS) throw new ProtocolViolation(`a quoted string is longer than ${MAX_LINE_OCTETS} octets`)
          return null
        }
        const c = buffer[j] as number
        if (c === CR || c === LF) throw new ProtocolViolation(`a line break inside a quoted string: ${printable(buffer.subarray(i, j))}`)
        if (c === 0) throw new ProtocolViolation('a NUL octet inside a quoted string')
        if (c === BACKSLASH) {
          if (j + 1 >= buffer.length) return null
          const escaped = buffer[j + 1] as number
          if (escaped !== QUOTE && escaped !== BACKSLASH) throw new ProtocolViolation(`a quoted string escapes ${JSON.stringify(String.fromCharCode(escaped))}; only \\" and \\\\ are allowed`)
          bytes.push(escaped)
          j += 2
          continue
        }
        if (c === QUOTE) break
        bytes.push(c)
        j++
      }
      tokens.push({ kind: 'string', value: Buffer.from(bytes).toString('utf8') })
      plainOctets += j + 1 - i
      i = j + 1
      continue
    }
    if (byte === 0x7b) {
      const close = buffer.indexOf('}', i)
      if (close < 0) {
        if (buffer.length - i > 24) throw new ProtocolViolation(`a literal's length is not closed with "}": ${printable(buffer.subarray(i, i + 24))}`)
        return null
      }
      const spec = /^\{(\d{1,10})\+?\}$/.exec(buffer.subarray(i, close + 1).toString('latin1'))
      if (spec === null) throw new ProtocolViolation(`not a literal length: ${printable(buffer.subarray(i, close + 1))}`)
      const size = Number(spec[1])
      if (size > MAX_LITERAL_OCTETS) throw new ProtocolViolation(`a literal of ${size} octets is larger than the limit of ${MAX_LITERAL_OCTETS}`)
      if (close + 2 >= buffer.length) return null
      if (buffer[close + 1] !== CR || buffer[close + 2] !== LF) throw new ProtocolViolation(`a literal length is not followed by CRLF: ${printable(buffer.subarray(i, close + 3))}`)
      const from = close + 3
      if (buffer.length < from + size) return null
      tokens.push({ kind: 'string', value: buffer.subarray(from, from + size).toString('utf8') })
      i = from + size
      plainOctets = 0
      continue
    }
    if (!isAtomChar(byte)) throw new ProtocolViolation(`an unexpected octet 0x${byte.toString(16).padStart(2, '0')} in a response line`)
    let j = i
    while (j < buffer.length && isAtomChar(buffer[j] as number)) j++
    tokens.push({ kind: 'atom', value: buffer.subarray(i, j).toString('latin1') })
    plainOctets += j - i
    i = j
  }
}

const STATUSES = new Set(['OK', 'NO', 'BYE'])

/** The status of a status line (OK/NO/BYE), or null for a data line. */
export function lineStatus(tokens: Token[]): ResponseStatus | null {
  const first = tokens[0]
  if (first?.kind !== 'atom') return null
  const upper = first.value.toUpperCase()
  return STATUSES.has(upper) ? (upper as ResponseStatus) : null
}

/** Turns a status line and the data lines before it into a response (RFC 5804 §1.3/§4 "response-oknobye"). */
export function toResponse(status: ResponseStatus, tokens: Token[], lines: Token[][]): SieveResponse {
  let i = 1
  const code: string[] = []
  if (tokens[i]?.kind === 'open') {
    i++
    for (;;) {
      const token = tokens[i]
      if (token === undefined) throw new ProtocolViolation(`a response code is not closed with ")" in the ${status} line`)
      i++
      if (token.kind === 'close') break
      if (token.kind === 'open') throw new ProtocolViolation(`a nested "(" in the response code of the ${status} line`)
      code.push(token.value)
    }
    if (code.length === 0) throw new ProtocolViolation(`an empty response code in the ${status} line`)
  }
  let message = ''
  const text = tokens[i]
  if (text !== undefined) {
    if (text.kind !== 'string') throw new ProtocolViolation(`the ${status} line goes on with ${text.kind === 'atom' ? `"${text.value}"` : 'a parenthesis'} where a quoted string or literal belongs`)
    message = text.value
    i++
  }
  if (i < tokens.length) throw new ProtocolViolation(`unexpected data after the text of the ${status} line`)
  return { status, code, message, lines }
}

/** Accumulates bytes and yields complete responses. */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0)
  private lines: Token[][] = []
  private readonly ready: SieveResponse[] = []

  /** Adds bytes; throws ProtocolViolation on anything that is not ManageSieve. */
  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    let offset = 0
    for (;;) {
      const line = parseLine(this.buffer, offset)
      if (line === null) break
      offset = line.next
      const status = lineStatus(line.tokens)
      if (status === null) {
        this.lines.push(line.tokens)
      } else {
        this.ready.push(toResponse(status, line.tokens, this.lines))
        this.lines = []
      }
    }
    this.buffer = this.buffer.subarray(offset)
  }

  /** The next complete response, if any. */
  take(): SieveResponse | undefined {
    return this.ready.shift()
  }

  /** Bytes received but not yet part of a complete response (after STARTTLS nothing may be left over). */
  get pending(): number {
    return this.buffer.length + this.lines.length
  }
}

/** "NAME" ["value"] capability lines → upper-cased name → value ('' when none). */
export function parseCapabilities(lines: Token[][]): Map<string, string> {
  const caps = new Map<string, string>()
  for (const line of lines) {
    const [name, value, extra] = line
    if (name?.kind !== 'string' || (value !== undefined && value.kind !== 'string') || extra !== undefined) {
      throw new ProtocolViolation('a capability line is not "NAME" or "NAME" "value"')
    }
    caps.set(name.value.toUpperCase(), value?.kind === 'string' ? value.value : '')
  }
  return caps
}
