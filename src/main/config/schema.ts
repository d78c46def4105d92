// The zod schema of MAILROOM_HOME/config.json: the public configuration keys (documented in README).
import { hostname as osHostname } from 'node:os'
import { z } from 'zod'
import { checkAddress } from '../../shared/address'
import { duration, size } from './units'
import { account } from './schema-account'
import { listenerSettings } from './schema-listener'
import { localSettings } from './schema-local'

const address = z.string().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `not a valid email address (${check.reason})` })
})

const hostName = z.string().min(1).max(253).regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/, 'not a valid host name')

/** "1.2.3.4", "1.2.3.4:5353", "::1", "[::1]:5353" — what dns.Resolver#setServers takes. */
const dnsServer = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, 'not an IP address with an optional :port')

const port = z.number().int().min(1).max(65535)

/** The outgoing queue (see docs/queue.md). Durations in ms and sizes in bytes after parsing. */
const queueSettings = z.strictObject({
  /** Delays after the 1st, 2nd, … failed attempt; the last one repeats. Default 1, 5, 15, 30 min, then hourly. */
  retrySchedule: z.array(duration).min(1).prefault(['1m', '5m', '15m', '30m', '1h']),
  /** Give up on a recipient still deferred this long after queueing (then bounce, 4.4.7). */
  lifetime: duration.prefault('5d'),
  /** Send one delay warning to the sender once a recipient has waited this long (0 = never). */
  delayWarning: duration.prefault('4h'),
  /** Refuse new mail (temporary error) past this many messages in the queue. */
  maxMessages: z.number().int().min(1).default(100_000),
  /** Refuse new mail past this many bytes of message data in the queue. */
  maxBytes: size.prefault('2G'),
  /** Refuse new mail when the spool's file system has less free space than this. */
  minFreeDisk: size.prefault('100M'),
  /** Messages delivered at once, in total and per destination (next-hop domain). */
  concurrency: z.strictObject({
    global: z.number().int().min(1).max(256).default(16),
    perDestination: z.number().int().min(1).max(64).default(4)
  }).default({ global: 16, perDestination: 4 }),
  /** Seconds the UI holds a sent message back so it can be undone (0 = off). */
  undoSendSeconds: z.number().int().min(0).max(600).default(10)
})

const tlsOptions = z.strictObject({ rejectUnauthorized: z.boolean().default(true) })

/** One hop of a route chain: deliver directly by MX, or hand everything to a smart host. */
const routeHop = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('direct') }),
  z.strictObject({
    type: z.literal('smarthost'),
    host: z.string().min(1),
    port: port.default(587),
    /** starttls: required upgrade (default); tls: implicit TLS (465); none: plaintext, only when asked for. */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    auth: z.strictObject({
      user: z.string().min(1),
      password: z.string().optional(),
      /** Use XOAUTH2 with a token from the account layer instead of a password. */
      method: z.enum(['PLAIN', 'LOGIN', 'XOAUTH2']).optional(),
      /** Take the secret from this account's stored credentials. */
      accountId: z.string().optional()
    }).optional(),
    tls: tlsOptions.optional()
  })
])
export type RouteHop = z.infer<typeof routeHop>

const identity = z.strictObject({
  email: address,
  name: z.string().optional(),
  route: z.string().min(1).default('default'),
  /** The IMAP account whose Sent mailbox gets a copy. */
  accountId: z.string().optional()
})

export const configSchema = z.strictObject({
  hostname: hostName.default(() => osHostname()),
  dns: z.strictObject({
    /** Servers to ask instead of the system's resolv.conf. */
    servers: z.array(dnsServer).default([]),
    /** Let MX/A answers point at loopback or private addresses (tests only). */
    allowLoopback: z.boolean().default(false),
    /** Which addresses of an MX host to try, in what order. */
    addressOrder: z.enum(['ipv4-first', 'ipv6-first', 'ipv4-only', 'ipv6-only']).default('ipv4-first')
  }).prefault({}),
  /** Domains delivered on this machine besides etc/local-host-names (hostname and localhost are always local). */
  localDomains: z.array(hostName).default([]),
  queue: queueSettings.prefault({}),
  /** Local users, .forward and program deliveries (config/schema-local.ts). */
  local: localSettings,
  /** The loopback SMTP listener (config/schema-listener.ts). */
  listener: listenerSettings,
  /** Named route chains: the next hop is tried only when the previous one cannot be reached at all. */
  routes: z.record(z.string().min(1), z.array(routeHop).min(1)).default({ default: [{ type: 'direct' }] }),
  /** Sender identities and the route each one uses (unlisted senders use routes.default). */
  identities: z.array(identity).default([]),
  accounts: z.array(account).default([]).superRefine((accounts, ctx) => {
    const seen = new Set<string>()
    accounts.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate account id "${a.id}"` })
      if (a.id === 'local') ctx.addIssue({ code: 'custom', path: [i, 'id'], message: '"local" is the name of the built-in local mailbox; choose another id' })
      seen.add(a.id)
    })
  })
})

export type Config = z.output<typeof configSchema>
export type QueueSettings = Config['queue']
export type AccountConfig = Config['accounts'][number]
