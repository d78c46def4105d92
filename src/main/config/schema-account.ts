// config.json keys of an account (IMAP reading; the account also yields a smart-host route and Sent/Drafts mailboxes).
// Secrets: new accounts keep their password in the secret store (src/main/accounts/secrets.ts), never here.
// A `password` under `imap` (or `smtp`) is still read for configurations written by hand or by older versions:
// it wins over the secret store, and docs/accounts.md says why it should be moved there.
import { z } from 'zod'
import { checkAddress } from '../../shared/address'

const address = z.string().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `not a valid email address (${check.reason})` })
})

const port = z.number().int().min(1).max(65535)
const hostName = z.string().trim().min(1).max(253)
const tlsOptions = z.strictObject({ rejectUnauthorized: z.boolean().default(true) })
const mailboxName = z.string().min(1).max(1000)

export const imapSettings = z.strictObject({
  host: hostName,
  port,
  /** tls: implicit TLS (993); starttls: upgrade required; none: plaintext (loopback test servers only). */
  security: z.enum(['tls', 'starttls', 'none']).default('tls'),
  user: z.string().min(1),
  /** Legacy: a password written into config.json. New accounts keep it in the secret store. */
  password: z.string().optional(),
  tls: tlsOptions.optional()
})

/** The account's submission server (RFC 6409 / RFC 8314): the smart host for mail sent from its identities. */
export const smtpSettings = z.strictObject({
  host: hostName,
  port: port.default(587),
  /** starttls: required upgrade on 587 (default); tls: implicit TLS on 465; none: plaintext (loopback only). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  /** Default: the IMAP user. The password is the account's secret (the same as for IMAP). */
  user: z.string().min(1).optional(),
  /** Legacy, as imap.password. */
  password: z.string().optional(),
  tls: tlsOptions.optional()
})

/** ManageSieve (RFC 5804) for server-side rules; host defaults to the IMAP host. */
export const sieveSettings = z.strictObject({
  host: hostName.optional(),
  port: port.default(4190),
  security: z.enum(['starttls', 'tls', 'none']).default('starttls')
})

/** An address the account may send as, with its display name. */
export const accountIdentity = z.strictObject({ email: address, name: z.string().max(200).optional() })

export const account = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash or underscore'),
  email: address,
  name: z.string().optional(),
  imap: imapSettings,
  smtp: smtpSettings.optional(),
  sieve: sieveSettings.optional(),
  /** Overrides of the special-use (RFC 6154) Sent and Drafts mailboxes. */
  sentMailbox: mailboxName.optional(),
  draftsMailbox: mailboxName.optional(),
  /** More addresses of this account (the account's own email is always an identity). */
  identities: z.array(accountIdentity).max(100).optional()
})
