// The account form's fields as strings, filled from discovery or a saved account, and turned back into settings
// with one sentence per field that is not right. Pure: unit tested in tests/unit/renderer/accounts-form.test.ts.
import type { AccountDetails, AccountSettings, DiscoveryResult } from '@shared/contract'

export type Security = 'tls' | 'starttls' | 'none'

export interface AccountForm {
  email: string
  name: string
  password: string
  imapHost: string
  imapPort: string
  imapSecurity: Security
  imapUser: string
  /** Accept a certificate that cannot be verified (self-signed servers one runs oneself). */
  acceptCertificate: boolean
  useSmtp: boolean
  smtpHost: string
  smtpPort: string
  smtpSecurity: Security
}

export type FormErrors = Partial<Record<keyof AccountForm, string>>

export function emptyForm(): AccountForm {
  return {
    email: '', name: '', password: '', imapHost: '', imapPort: '993', imapSecurity: 'tls', imapUser: '', acceptCertificate: false,
    useSmtp: true, smtpHost: '', smtpPort: '587', smtpSecurity: 'starttls'
  }
}

/** Fills the server fields from discovery's first (best) candidates; the user name defaults to the address. */
export function applyDiscovery(form: AccountForm, found: DiscoveryResult): AccountForm {
  const next = { ...form }
  const imap = found.imap[0]
  const smtp = found.smtp[0]
  if (imap !== undefined) Object.assign(next, { imapHost: imap.host, imapPort: String(imap.port), imapSecurity: imap.security })
  // No submission server found: mail from this account keeps the configured routes (direct or smart host).
  if (smtp !== undefined) Object.assign(next, { useSmtp: true, smtpHost: smtp.host, smtpPort: String(smtp.port), smtpSecurity: smtp.security })
  else if (imap !== undefined) next.useSmtp = false
  if (next.imapUser.trim() === '') next.imapUser = form.email.trim()
  return next
}

export function formFromDetails(details: AccountDetails): AccountForm {
  const s = details.settings
  return {
    email: s.email, name: s.name ?? '', password: '',
    imapHost: s.imap.host, imapPort: String(s.imap.port), imapSecurity: s.imap.security, imapUser: s.imap.user,
    acceptCertificate: s.imap.tls?.rejectUnauthorized === false,
    useSmtp: s.smtp !== undefined,
    smtpHost: s.smtp?.host ?? '', smtpPort: String(s.smtp?.port ?? 587), smtpSecurity: s.smtp?.security ?? 'starttls'
  }
}

function portOf(value: string): number | null {
  const n = Number(value.trim())
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : null
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i

/**
 * Settings from the form, or the errors per field. `keep` carries what the form does not edit (identities,
 * mailbox overrides, ManageSieve) when an account is changed.
 */
export function settingsFromForm(form: AccountForm, keep: Partial<AccountSettings> = {}): { settings: AccountSettings } | { errors: FormErrors } {
  const errors: FormErrors = {}
  const email = form.email.trim()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && !/^[^\s@]+@[^\s@.]+$/.test(email)) errors.email = 'Enter your email address, like you@example.org.'
  if (form.imapHost.trim() === '') errors.imapHost = 'Enter the IMAP server name.'
  const imapPort = portOf(form.imapPort)
  if (imapPort === null) errors.imapPort = 'A port is a number from 1 to 65535.'
  if (form.imapUser.trim() === '') errors.imapUser = 'Enter the user name (often your email address).'
  if (form.imapSecurity === 'none' && !LOOPBACK.test(form.imapHost.trim())) errors.imapSecurity = 'Without encryption only a server on this computer is allowed.'
  const smtpPort = portOf(form.smtpPort)
  if (form.useSmtp) {
    if (form.smtpHost.trim() === '') errors.smtpHost = 'Enter the sending (SMTP) server name, or untick "Send through".'
    if (smtpPort === null) errors.smtpPort = 'A port is a number from 1 to 65535.'
    if (form.smtpSecurity === 'none' && !LOOPBACK.test(form.smtpHost.trim())) errors.smtpSecurity = 'Without encryption only a server on this computer is allowed.'
  }
  if (Object.keys(errors).length > 0) return { errors }
  const tls = form.acceptCertificate ? { rejectUnauthorized: false } : undefined
  const settings: AccountSettings = {
    ...keep,
    email,
    ...(form.name.trim() !== '' ? { name: form.name.trim() } : {}),
    imap: { host: form.imapHost.trim(), port: imapPort as number, security: form.imapSecurity, user: form.imapUser.trim(), ...(tls ? { tls } : {}) },
    ...(form.useSmtp ? { smtp: { host: form.smtpHost.trim(), port: smtpPort as number, security: form.smtpSecurity, ...(tls ? { tls } : {}) } } : {})
  }
  if (!form.useSmtp) delete settings.smtp
  if (form.name.trim() === '') delete settings.name
  return { settings }
}
