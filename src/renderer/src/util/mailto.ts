// mailto: URLs (RFC 6068) into composer fields: recipients, cc, bcc, subject and body; other headers ignored.
export interface MailtoFields {
  to: string
  cc: string
  bcc: string
  subject: string
  body: string
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'))
  } catch {
    return value
  }
}

/** Null when `href` is not a mailto: URL. */
export function parseMailto(href: string): MailtoFields | null {
  const match = /^\s*mailto:([^?]*)(?:\?(.*))?$/is.exec(href)
  if (match === null) return null
  const fields: MailtoFields = { to: decode(match[1] ?? '').trim(), cc: '', bcc: '', subject: '', body: '' }
  for (const pair of (match[2] ?? '').split('&')) {
    const at = pair.indexOf('=')
    if (at <= 0) continue
    const name = pair.slice(0, at).toLowerCase()
    const value = decode(pair.slice(at + 1))
    if (name === 'to') fields.to = [fields.to, value].filter((v) => v !== '').join(', ')
    else if (name === 'cc' || name === 'bcc') fields[name] = [fields[name], value].filter((v) => v !== '').join(', ')
    else if (name === 'subject') fields.subject = value.replace(/[\r\n]+/g, ' ')
    else if (name === 'body') fields.body = value
  }
  return fields
}
