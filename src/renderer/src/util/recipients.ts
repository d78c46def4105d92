// Parses a recipient field ("a@x.org, b@y.org") into bare addresses and explains, per address, what is wrong.
import { checkAddress } from '@shared/address'

/**
 * Splits on commas, semicolons and white space outside double quotes (a quoted local part may hold them),
 * drops empty entries and repeats (case-insensitive), keeps the order.
 */
export function parseRecipients(text: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string
    if (quoted && ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1]
      i += 1
      continue
    }
    if (ch === '"') quoted = !quoted
    if (!quoted && /[,;\s]/.test(ch)) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  const seen = new Set<string>()
  const result: string[] = []
  for (const part of parts) {
    const address = part.trim()
    if (address === '' || seen.has(address.toLowerCase())) continue
    seen.add(address.toLowerCase())
    result.push(address)
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
