// Splits raw message bytes into header fields and body, the way Postfix's cleanup reads a submission.
import { AppError } from '../../shared/result'

export const MAX_LINE_OCTETS = 998

export interface HeaderField {
  /** Field name as written. */
  name: string
  /** The whole field, all its lines joined with CRLF, without the final CRLF. */
  raw: string
}

export interface SplitMessage {
  fields: HeaderField[]
  /** Body lines (no line ends). */
  body: string[]
  /** The message had no header section at all (first line was not a header field). */
  noHeaderSection: boolean
  /** A body line followed the headers without the empty separator line. */
  missingSeparator: boolean
  /** Some byte of the body or headers is 8-bit. */
  eightBit: boolean
}

/** Field name: printable US-ASCII except colon (RFC 5322 §2.2). */
const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/

/**
 * Splits lines on CRLF, bare LF and bare CR alike (all normalised to CRLF on output),
 * refuses lines longer than 998 octets (RFC 5322 §2.1.1) with the line number,
 * and, unless `ignoreDots`, ends the input at a line holding a single dot (sendmail without -i).
 */
export function splitLines(raw: Buffer, ignoreDots: boolean): string[] {
  // latin1 keeps every byte as one char, so lengths below are octets and 8-bit survives untouched.
  const text = raw.toString('latin1')
  const lines = text.split(/\r\n|\r|\n/)
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const out: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (!ignoreDots && line === '.') break
    if (line.length > MAX_LINE_OCTETS) {
      throw new AppError('INVALID_MESSAGE', `line ${i + 1} is ${line.length} octets long; RFC 5322 allows at most ${MAX_LINE_OCTETS} (wrap it or send it as an attachment)`, { line: i + 1 })
    }
    if (line.includes('\0')) throw new AppError('INVALID_MESSAGE', `line ${i + 1} contains a NUL byte`, { line: i + 1 })
    out.push(line)
  }
  return out
}

export function splitMessage(lines: string[]): SplitMessage {
  const fields: HeaderField[] = []
  let i = 0
  let missingSeparator = false
  for (; i < lines.length; i++) {
    const line = lines[i] as string
    if (line === '') {
      i++
      break
    }
    const match = FIELD.exec(line)
    if (match !== null) {
      fields.push({ name: match[1] as string, raw: line })
      continue
    }
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields[fields.length - 1] as HeaderField
      last.raw += '\r\n' + line
      continue
    }
    // Neither a field nor a continuation: the body starts here (Postfix does the same).
    missingSeparator = fields.length > 0
    break
  }
  const body = lines.slice(i)
  const eightBit = lines.some((l) => /[\x80-\xff]/.test(l))
  return { fields, body, noHeaderSection: fields.length === 0, missingSeparator, eightBit }
}

/** The unfolded value of a field (after "Name:"), leading white space removed. */
export function fieldValue(field: HeaderField): string {
  return field.raw.slice(field.raw.indexOf(':') + 1).replace(/\r\n([ \t])/g, '$1').trim()
}

export function findFields(fields: HeaderField[], name: string): HeaderField[] {
  const lower = name.toLowerCase()
  return fields.filter((f) => f.name.toLowerCase() === lower)
}
