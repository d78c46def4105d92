// Checks and completes a submitted message before it may enter the spool (sendmail door and UI alike).
import { randomBytes } from 'node:crypto'
import addressparser, { type Address } from 'nodemailer/lib/addressparser'
import { checkAddress } from '../../shared/address'
import { AppError } from '../../shared/result'
import { decodeWords, encodePhrase } from './encoded-words'
import { fieldValue, findFields, splitLines, splitMessage, type HeaderField } from './headers'

export interface PrepareOptions {
  /** Our host name: completes bare local parts, and the Message-ID's right side. */
  hostname: string
  /** Envelope sender (MAIL FROM); '' is the null sender. */
  sender: string
  /** Recipients given on the command line / by the UI. */
  recipients: string[]
  /** -t: take recipients from To/Cc/Bcc (Resent-* when present), in addition to `recipients` (as Postfix does). */
  extractRecipients: boolean
  /** -i / -oi: a line with a single dot does not end the input. */
  ignoreDots: boolean
  /** -F: full name for a From header we add. */
  fullName?: string
  now: number
}

export interface PreparedMessage {
  data: Buffer
  sender: string
  recipients: string[]
  messageId: string
  subject: string
  eightBit: boolean
  /** Things the sender should know but that did not stop the message. */
  warnings: string[]
}

/** "root" → "root@hostname" (like Postfix's myorigin), then strict RFC 5321 syntax. */
export function qualifyAddress(address: string, hostname: string, where: string): string {
  const trimmed = address.trim()
  const qualified = trimmed.includes('@') ? trimmed : `${trimmed}@${hostname}`
  const check = checkAddress(qualified)
  if (!check.ok) throw new AppError('INVALID_ADDRESS', `${where}: "${trimmed}" is not a valid address: ${check.reason}`, { address: trimmed, where })
  return qualified
}

/**
 * The mailboxes of an address header. addressparser is lenient: it reads "bob smith@x" as name "bob",
 * address "smith@x", and "a b c" as a name with no address. Mail must not go to a guess, so a name is
 * accepted only where the header really has one (an <angle-addr> or a (comment)).
 */
function mailboxesOf(entries: Address[], value: string, where: string): string[] {
  const out: string[] = []
  for (const entry of entries) {
    if (entry.group !== undefined) {
      out.push(...mailboxesOf(entry.group, value, where))
      continue
    }
    if (entry.address === '') {
      if (entry.name !== '') throw new AppError('INVALID_ADDRESS', `${where}: cannot find an address in "${entry.name}"`, { where })
      continue
    }
    const bracketed = value.includes(`<${entry.address}`) || value.includes('(')
    if (entry.name !== '' && !bracketed) {
      throw new AppError('INVALID_ADDRESS', `${where}: "${entry.name} ${entry.address}" is not a valid address (write it as Name <address>)`, { where })
    }
    out.push(entry.address)
  }
  return out
}

function headerRecipients(fields: HeaderField[], hostname: string): string[] {
  const resent = ['Resent-To', 'Resent-Cc', 'Resent-Bcc'].some((n) => findFields(fields, n).length > 0)
  const names = resent ? ['Resent-To', 'Resent-Cc', 'Resent-Bcc'] : ['To', 'Cc', 'Bcc']
  const out: string[] = []
  for (const name of names) {
    for (const field of findFields(fields, name)) {
      const value = fieldValue(field)
      const where = `${name} header`
      for (const address of mailboxesOf(addressparser(value), value, where)) out.push(qualifyAddress(address, hostname, where))
    }
  }
  return out
}

export function rfc5322Date(ms: number): string {
  const d = new Date(ms)
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const p = (n: number): string => String(n).padStart(2, '0')
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  const abs = Math.abs(offset)
  return `${days[d.getDay()]}, ${d.getDate()} ${months[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.floor(abs / 60))}${p(abs % 60)}`
}

export function newMessageId(hostname: string, now: number): string {
  return `<${now.toString(36)}.${randomBytes(9).toString('base64url')}@${hostname}>`
}

function dedupe(addresses: string[]): string[] {
  const seen = new Set<string>()
  return addresses.filter((a) => {
    const key = a.toLowerCase()
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

export function prepareMessage(raw: Buffer, options: PrepareOptions): PreparedMessage {
  const warnings: string[] = []
  const sender = options.sender === '' ? '' : qualifyAddress(options.sender, options.hostname, 'sender')
  const split = splitMessage(splitLines(raw, options.ignoreDots))
  if (split.noHeaderSection && split.body.length > 0) warnings.push('the message has no header section; From, Date and Message-ID were added')
  if (split.missingSeparator) warnings.push('no empty line between the headers and the body; one was inserted before the first line that is not a header')

  let recipients = options.recipients.map((r) => qualifyAddress(r, options.hostname, 'recipient'))
  if (options.extractRecipients) {
    recipients = [...recipients, ...headerRecipients(split.fields, options.hostname)]
    if (recipients.length === 0) {
      const why = split.noHeaderSection ? ' (the message has no header section at all)' : ''
      throw new AppError('NO_RECIPIENTS', `no recipient addresses found in message header${why}`)
    }
  }
  recipients = dedupe(recipients)
  if (recipients.length === 0) throw new AppError('NO_RECIPIENTS', 'no recipients: name them on the command line or use -t to read them from To/Cc/Bcc')

  // Bcc never leaves (Postfix and sendmail both strip it).
  const fields = split.fields.filter((f) => !/^(resent-)?bcc$/i.test(f.name))
  const added: string[] = []
  const has = (name: string): boolean => findFields(fields, name).length > 0
  if (!has('From')) {
    const fromAddress = sender === '' ? `MAILER-DAEMON@${options.hostname}` : sender
    const fullName = options.fullName?.replace(/[\r\n]+/g, ' ').trim() ?? ''
    added.push(fullName === '' ? `From: ${fromAddress}` : `From: ${encodePhrase(fullName)} <${fromAddress}>`)
  }
  if (!has('Date')) added.push(`Date: ${rfc5322Date(options.now)}`)
  let messageId: string
  const existingId = findFields(fields, 'Message-ID')[0]
  if (existingId === undefined) {
    messageId = newMessageId(options.hostname, options.now)
    added.push(`Message-ID: ${messageId}`)
  } else {
    messageId = fieldValue(existingId)
  }
  if (!has('To') && !has('Cc') && !has('Resent-To')) added.push('To: undisclosed-recipients:;')

  const subjectField = findFields(fields, 'Subject')[0]
  const subject = subjectField === undefined ? '' : decodeHeader(fieldValue(subjectField))

  const headerLines = [...fields.map((f) => f.raw), ...added]
  const text = [...headerLines, '', ...split.body].join('\r\n') + '\r\n'
  return { data: Buffer.from(text, 'latin1'), sender, recipients, messageId, subject, eightBit: split.eightBit, warnings }
}

/** RFC 2047 words decoded; raw 8-bit header bytes read as UTF-8. */
function decodeHeader(value: string): string {
  const utf8 = Buffer.from(value, 'latin1').toString('utf8')
  return decodeWords(utf8)
}
