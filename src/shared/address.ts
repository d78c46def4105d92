// Strict RFC 5321 mailbox (addr-spec) validation, shared by the renderer's forms and the main process.
// Hand-written: nodemailer's addressparser is deliberately lenient and accepts what SMTP would refuse.

const ATEXT = "A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\uFFFF"
const DOT_ATOM = new RegExp(`^[${ATEXT}]+(\\.[${ATEXT}]+)*$`)
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uffff]|\\[\x20-\x7e])*"$/
const LABEL = /^(?!-)[A-Za-z0-9\u0080-\uffff-]{1,63}(?<!-)$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

export const MAX_LOCAL_PART = 64
export const MAX_DOMAIN = 255
export const MAX_PATH = 256

export type AddressProblem = { ok: true; local: string; domain: string } | { ok: false; reason: string }

const encoder = new TextEncoder()
const byteLength = (s: string): number => encoder.encode(s).length

function checkDomain(domain: string): string | null {
  if (domain === '') return 'the domain is missing'
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return 'the address literal is not closed with ]'
    const inner = domain.slice(1, -1)
    if (IPV4.test(inner)) return null
    if (/^IPv6:[0-9A-Fa-f:.]+$/.test(inner)) return null
    return 'the address literal is not an IPv4 or IPv6 address'
  }
  if (byteLength(domain) > MAX_DOMAIN) return `the domain is longer than ${MAX_DOMAIN} octets`
  const labels = domain.endsWith('.') ? domain.slice(0, -1).split('.') : domain.split('.')
  for (const label of labels) {
    if (label === '') return 'the domain has an empty label (two dots in a row, or a leading dot)'
    if (!LABEL.test(label)) return `the domain label "${label}" is not valid`
  }
  return null
}

/** Checks one bare address (`local@domain`, no display name, no angle brackets). */
export function checkAddress(address: string): AddressProblem {
  if (address.length === 0) return { ok: false, reason: 'the address is empty' }
  if (/[\r\n\0]/.test(address)) return { ok: false, reason: 'the address contains a line break or NUL' }
  if (address.startsWith('<') || address.endsWith('>')) {
    return { ok: false, reason: 'write the address without angle brackets' }
  }
  const at = address.lastIndexOf('@')
  if (at < 0) return { ok: false, reason: 'the address has no @' }
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (local === '') return { ok: false, reason: 'the part before @ is empty' }
  if (byteLength(local) > MAX_LOCAL_PART) {
    return { ok: false, reason: `the part before @ is longer than ${MAX_LOCAL_PART} octets` }
  }
  if (!DOT_ATOM.test(local) && !QUOTED.test(local)) {
    return { ok: false, reason: `the part before @ ("${local}") has characters that need quoting, or misplaced dots` }
  }
  const domainProblem = checkDomain(domain)
  if (domainProblem !== null) return { ok: false, reason: domainProblem }
  if (byteLength(address) + 2 > MAX_PATH) return { ok: false, reason: `the address is longer than ${MAX_PATH - 2} octets` }
  return { ok: true, local, domain }
}

export function isValidAddress(address: string): boolean {
  return checkAddress(address).ok
}

/** The domain part, lower-cased, for routing. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase()
}
