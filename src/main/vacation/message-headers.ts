// Reads the header section of an incoming message for the out-of-office decision: lenient (it is someone else's mail),
// unfolded values, the addresses of To/Cc/Bcc, and the Subject with RFC 2047 encoded words decoded.
import addressparser, { type Address } from 'nodemailer/lib/addressparser'
import { decodeWords } from '../submission/encoded-words'

export interface HeaderLine {
  name: string
  /** Unfolded value, surrounding white space removed. */
  value: string
}

export type MessageHeaders = readonly HeaderLine[]

/** The header fields of raw message bytes (up to the first empty line); lines that are neither fields nor continuations are skipped. */
export function readHeaders(raw: Buffer | string): HeaderLine[] {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1')
  const end = /\r?\n\r?\n/.exec(text)
  const section = end === null ? text : text.slice(0, end.index)
  const out: Array<{ name: string; raw: string }> = []
  for (const line of section.split(/\r?\n/)) {
    const field = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:(.*)$/.exec(line)
    if (field !== null) out.push({ name: field[1] as string, raw: field[2] as string })
    else if (/^[ \t]/.test(line) && out.length > 0) (out[out.length - 1] as { raw: string }).raw += line
  }
  // latin1 keeps raw 8-bit bytes; re-read them as UTF-8 (what 8-bit headers are in practice, RFC 6532).
  return out.map((f) => ({ name: f.name, value: Buffer.from(f.raw, 'latin1').toString('utf8').trim() }))
}

export function headerValues(headers: MessageHeaders, name: string): string[] {
  const lower = name.toLowerCase()
  return headers.filter((h) => h.name.toLowerCase() === lower).map((h) => h.value)
}

export function firstHeader(headers: MessageHeaders, name: string): string | undefined {
  return headerValues(headers, name)[0]
}

function flatten(entries: Address[]): string[] {
  return entries.flatMap((e) => (e.group !== undefined ? flatten(e.group) : e.address === '' ? [] : [e.address]))
}

/** Lower-cased addresses of the named address fields. */
export function addressesIn(headers: MessageHeaders, names: readonly string[]): string[] {
  return names.flatMap((name) => headerValues(headers, name)).flatMap((value) => flatten(addressparser(value))).map((a) => a.toLowerCase())
}

/** The Subject as the user reads it (encoded words decoded), '' when missing. */
export function decodedSubject(headers: MessageHeaders): string {
  const value = firstHeader(headers, 'Subject')
  if (value === undefined) return ''
  try {
    return decodeWords(value)
  } catch {
    return value
  }
}

/** "<a@b>" or "" from a header value like "Name <a@b>" or "a@b" (the envelope sender as Return-Path carries it). */
export function bareAddress(value: string): string {
  const trimmed = value.trim()
  const angle = /<([^<>]*)>/.exec(trimmed)
  return (angle !== null ? (angle[1] as string) : trimmed).trim()
}
