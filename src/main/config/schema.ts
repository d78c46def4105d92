// The zod schema of MAILROOM_HOME/config.json: the public configuration keys (documented in README).
import { hostname as osHostname } from 'node:os'
import { z } from 'zod'
import { checkAddress } from '../../shared/address'

const address = z.string().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `not a valid email address (${check.reason})` })
})

const hostName = z.string().min(1).max(253).regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/, 'not a valid host name')

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" — what dns.Resolver#setServers takes. */
const dnsServer = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, 'not an IP address with an optional :port')

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

const account = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash or underscore'),
  email: address,
  name: z.string().optional(),
  imap: imapSettings
})

export const configSchema = z.strictObject({
  hostname: hostName.default(() => osHostname()),
  dns: z.strictObject({
    /** Servers to ask instead of the system's resolv.conf. */
    servers: z.array(dnsServer).default([]),
    /** Let MX/A answers point at loopback or private addresses (tests only). */
    allowLoopback: z.boolean().default(false)
  }).default({ servers: [], allowLoopback: false }),
  accounts: z.array(account).default([]).superRefine((accounts, ctx) => {
    const seen = new Set<string>()
    accounts.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate account id "${a.id}"` })
      seen.add(a.id)
    })
  })
})

export type Config = z.output<typeof configSchema>
export type AccountConfig = Config['accounts'][number]
