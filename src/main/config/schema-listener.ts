// config.json keys of the loopback SMTP listener (section "listener").
import { z } from 'zod'
import { size } from './units'

const loopbackHost = z.string().refine((h) => h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h), 'the listener binds only to loopback addresses (127.0.0.0/8 or ::1)')

export const listenerSettings = z.strictObject({
  enabled: z.boolean().default(true),
  port: z.number().int().min(1).max(65535).default(2525),
  hosts: z.array(loopbackHost).min(1).default(['127.0.0.1', '::1']),
  /** Largest message accepted (SIZE in EHLO; 552 5.3.4 beyond). */
  maxMessageSize: size.prefault('35M'),
  relay: z.strictObject({
    /** A loopback client running as the same OS user as Mailroom may relay to remote domains without AUTH. */
    ownUser: z.boolean().default(true),
    /** AUTH PLAIN/LOGIN users allowed to relay. */
    users: z.array(z.strictObject({ user: z.string().min(1), password: z.string().min(1) })).default([])
  }).prefault({}),
  /** PEM files for STARTTLS; without them STARTTLS is not offered (no self-signed default on loopback). */
  tls: z.strictObject({
    cert: z.string().regex(/^\//, 'an absolute path'),
    key: z.string().regex(/^\//, 'an absolute path')
  }).optional()
}).prefault({})
export type ListenerSettings = z.output<typeof listenerSettings>
