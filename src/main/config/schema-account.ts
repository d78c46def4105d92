// config.json keys of an account (IMAP reading; the account also yields a smart-host route and Sent/Drafts mailboxes).
import { z } from 'zod'
import { checkAddress } from '../../shared/address'

const address = z.string().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `not a valid email address (${check.reason})` })
})

const port = z.number().int().min(1).max(65535)

const imapSettings = z.strictObject({
  host: z.string().min(1),
  port,
  /** tls: implicit TLS (993); starttls: upgrade required; none: plaintext (loopback test servers only). */
  security: z.enum(['tls', 'starttls', 'none']).default('tls'),
  user: z.string().min(1),
  password: z.string().optional(),
  tls: z.strictObject({ rejectUnauthorized: z.boolean().default(true) }).optional()
})

export const account = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash or underscore'),
  email: address,
  name: z.string().optional(),
  imap: imapSettings
})

