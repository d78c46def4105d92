// IPC contract, accounts section: listing, adding, editing, removing accounts, discovery and connection tests.
import { z } from 'zod'
import { emailAddress, empty } from './contract-base'

export const accountSummary = z.object({ id: z.string(), email: z.string(), name: z.string().optional() })
export type AccountSummary = z.infer<typeof accountSummary>

const port = z.number().int().min(1).max(65535)
const host = z.string().trim().min(1, 'enter the server name').max(253)
const tlsOptions = z.object({ rejectUnauthorized: z.boolean() }).strict()
const accountId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letters, digits, dot, dash or underscore')

/** An account as the UI edits it: config.json's account keys without any password. */
export const accountSettings = z.object({
  /** Chosen from the email address when left out. */
  id: accountId.optional(),
  email: emailAddress,
  name: z.string().max(200).optional(),
  imap: z.object({
    host,
    port,
    security: z.enum(['tls', 'starttls', 'none']),
    user: z.string().min(1, 'enter the user name').max(500),
    tls: tlsOptions.optional()
  }).strict(),
  smtp: z.object({
    host,
    port,
    security: z.enum(['tls', 'starttls', 'none']),
    user: z.string().min(1).max(500).optional(),
    tls: tlsOptions.optional()
  }).strict().optional(),
  sieve: z.object({ host: host.optional(), port, security: z.enum(['tls', 'starttls', 'none']) }).strict().optional(),
  sentMailbox: z.string().min(1).max(1000).optional(),
  draftsMailbox: z.string().min(1).max(1000).optional(),
  identities: z.array(z.object({ email: emailAddress, name: z.string().max(200).optional() }).strict()).max(100).optional()
}).strict()
export type AccountSettings = z.infer<typeof accountSettings>

export const accountDetails = z.object({
  settings: accountSettings.extend({ id: z.string() }),
  /** A password is available (secret store or config.json). */
  hasPassword: z.boolean(),
  /** The password is still written in config.json (legacy); saving the account moves it to the secret store. */
  passwordInConfig: z.boolean()
})
export type AccountDetails = z.infer<typeof accountDetails>

/** A server found by DNS SRV (RFC 6186 / RFC 8314) or guessed from the domain (to be confirmed by the user). */
export const serverCandidate = z.object({
  host: z.string(),
  port: z.number().int(),
  security: z.enum(['tls', 'starttls']),
  source: z.enum(['srv', 'guess']),
  /** The SRV name it came from, e.g. _imaps._tcp.example.org. */
  record: z.string().optional()
})
export type ServerCandidate = z.infer<typeof serverCandidate>

export const discoveryResult = z.object({
  domain: z.string(),
  /** Ordered best first (priority, then weight, implicit TLS before STARTTLS at equal priority). */
  imap: z.array(serverCandidate),
  smtp: z.array(serverCandidate),
  /** srv: published by the domain; guess: common names that exist in DNS, to be confirmed; none: enter by hand. */
  source: z.enum(['srv', 'guess', 'none']),
  /** Sentences for the user (services the domain says it does not offer, lookups that failed). */
  notes: z.array(z.string())
})
export type DiscoveryResult = z.infer<typeof discoveryResult>

export const connectionStep = z.object({
  step: z.enum(['dns', 'tcp', 'tls', 'auth']),
  ok: z.boolean(),
  /** A sentence a person can act on. */
  detail: z.string()
})
export type ConnectionStep = z.infer<typeof connectionStep>

export const connectionTestResult = z.object({
  ok: z.boolean(),
  imap: z.array(connectionStep),
  /** null when the account has no submission server. */
  smtp: z.array(connectionStep).nullable()
})
export type ConnectionTestResult = z.infer<typeof connectionTestResult>

export const secretStorageInfo = z.object({
  backend: z.enum(['keychain', 'file']),
  note: z.string(),
  /** Saving needs the user's consent (Linux without a keyring: safeStorage's basic_text). */
  weak: z.boolean()
})
export type SecretStorageInfo = z.infer<typeof secretStorageInfo>

const password = z.string().min(1, 'enter the password').max(4096)

export const accountCalls = {
  /** IMAP accounts first, then the built-in Local account (id "local"). */
  'accounts.list': { args: empty, result: z.array(accountSummary) },
  'accounts.get': { args: z.object({ id: z.string().min(1).max(64) }).strict(), result: accountDetails },
  /** Server settings for an address from DNS SRV records, else guesses to confirm. */
  'accounts.discover': { args: z.object({ email: emailAddress }).strict(), result: discoveryResult },
  /** Connects and logs in step by step (DNS, TCP, TLS, login); with accountId and no password, the stored one is used. */
  'accounts.test': {
    args: z.object({ settings: accountSettings, password: password.optional(), accountId: z.string().max(64).optional() }).strict(),
    result: connectionTestResult
  },
  'accounts.add': {
    args: z.object({ settings: accountSettings, password, allowWeakSecretStorage: z.boolean().default(false) }).strict(),
    result: accountDetails
  },
  /** Replaces the settings of account `id`; the password only when given. */
  'accounts.update': {
    args: z.object({ id: z.string().min(1).max(64), settings: accountSettings, password: password.optional(), allowWeakSecretStorage: z.boolean().default(false) }).strict(),
    result: accountDetails
  },
  /** Removes the account from config.json and its password from the secret store. */
  'accounts.remove': { args: z.object({ id: z.string().min(1).max(64) }).strict(), result: z.object({ removed: z.boolean() }) },
  'accounts.secretStorage': { args: empty, result: secretStorageInfo }
} as const

export const accountEvents = {
  /** An account was added, changed or removed: the full list as accounts.list returns it. */
  'accounts.changed': z.object({ accounts: z.array(accountSummary) })
} as const
