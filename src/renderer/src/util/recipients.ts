// Parses a recipient field ("a@x.org, Bob <b@y.org>") into bare addresses and explains, per address, what is wrong.
import { checkAddress } from '@shared/address'

/** Splits `text` at characters matching `isSeparator` that are outside double quotes and angle brackets. */
function splitOutside(text: string, isSeparator: (ch: string) => boolean): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  let angle = false
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1]
      i += 1
      continue
    }
    if (ch === '"' && !angle) quoted = !quoted
    else if (ch === '<' && !quoted) angle = true
    else if (ch === '>' && !quoted) angle = false
    if (!quoted && !angle && isSeparator(ch)) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

/** `Name <addr>` and `"Last, First" <addr>` give `addr` (the contract takes bare addresses); else the entry's words. */
function addressesOf(entry: string): string[] {
  const open = entry.lastIndexOf('<')
  const close = entry.lastIndexOf('>')
  if (open >= 0 && close > open && entry.slice(close + 1).trim() === '') return [entry.slice(open + 1, close).trim()]
  if (open >= 0) return [entry.trim()]
  return splitOutside(entry, (ch) => /\s/.test(ch))
}

/**
 * Parses a recipient field: entries separated by commas, semicolons or line breaks (outside quotes and angle
 * brackets), each a bare address, `Name <address>`, or several bare addresses separated by spaces.
 * Drops empty entries and repeats (case-insensitive) and keeps the order.
 */
export function parseRecipients(text: string): string[] {
  const seen = new Set<string>()
  const result: string[] = []
  for (const entry of splitOutside(text, (ch) => ch === ',' || ch === ';' || ch === '\n' || ch === '\r')) {
    for (const candidate of addressesOf(entry)) {
      const address = candidate.trim()
      if (address === '' || seen.has(address.toLowerCase())) continue
      seen.add(address.toLowerCase())
      result.push(address)
    }
  }
  return result
}

/** The same sentence the main process uses, so the user sees one wording wherever the check runs. */
export function addressProblem(address: string): string | null {
  const check = checkAddress(address)
  return check.ok ? null : `"${address}" is not a valid address: ${check.reason}`
}

/** One message for a list of addresses, or null when all are valid. */
export function recipientsProblem(addresses: readonly string[]): string | null {
  const problems = addresses.map(addressProblem).filter((p): p is string => p !== null)
  return problems.length === 0 ? null : problems.join('; ')
}
