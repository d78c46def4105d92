// The settings and secret needed to log in to an account's IMAP, submission (SMTP) and ManageSieve servers.
// The password comes from config.json when an old configuration still has one there, else from the secret store.
import { AppError } from '../../shared/result'
import type { AccountConfig, Config } from '../config/schema'
import type { Paths } from '../config/paths'
import { defaultSecretStore, type SecretStore } from './secrets'

export type Security = 'tls' | 'starttls' | 'none'

export interface ServerCredentials {
  host: string
  port: number
  security: Security
  user: string
  password: string
  tls: { rejectUnauthorized: boolean }
}

/** What the credential functions need: the container's SectionContext fits. */
export interface CredentialContext {
  config: Pick<Config, 'accounts'>
  paths?: Pick<Paths, 'home'>
  secrets?: SecretStore
}

const fallbackStores = new Map<string, SecretStore>()

/** The context's secret store, else the 0600 file store of MAILROOM_HOME. */
export function secretStoreOf(context: CredentialContext): SecretStore {
  if (context.secrets !== undefined) return context.secrets
  const home = context.paths?.home
  if (home === undefined) throw new AppError('SECRET_STORE', 'No secret store is configured')
  let store = fallbackStores.get(home)
  if (store === undefined) {
    store = defaultSecretStore(home)
    fallbackStores.set(home, store)
  }
  return store
}

export function findAccount(config: Pick<Config, 'accounts'>, accountId: string): AccountConfig {
  const account = config.accounts.find((a) => a.id === accountId)
  if (account === undefined) throw new AppError('ACCOUNT_NOT_FOUND', `There is no account "${accountId}" in config.json`, { account: accountId })
  return account
}

/** The account's password: config.json (legacy) first, then the secret store; SECRET_MISSING when there is none. */
export async function accountPassword(context: CredentialContext, account: AccountConfig): Promise<string> {
  if (account.imap.password !== undefined) return account.imap.password
  const stored = await secretStoreOf(context).get(account.id)
  if (stored === null) {
    throw new AppError('SECRET_MISSING', `No password is stored for account "${account.id}" (${account.email}): enter it in Accounts → Edit`, { account: account.id })
  }
  return stored
}

/** IMAP login data of an account (H7's sync engine, Sent copies, drafts). */
export async function accountCredentials(context: CredentialContext, accountId: string): Promise<ServerCredentials> {
  const account = findAccount(context.config, accountId)
  const { imap } = account
  return {
    host: imap.host,
    port: imap.port,
    security: imap.security,
    user: imap.user,
    password: await accountPassword(context, account),
    tls: { rejectUnauthorized: imap.tls?.rejectUnauthorized ?? true }
  }
}

/** Submission server login data, or null when the account has no `smtp` settings. */
export async function submissionCredentials(context: CredentialContext, accountId: string): Promise<ServerCredentials | null> {
  const account = findAccount(context.config, accountId)
  const smtp = account.smtp
  if (smtp === undefined) return null
  return {
    host: smtp.host,
    port: smtp.port,
    security: smtp.security,
    user: smtp.user ?? account.imap.user,
    password: smtp.password ?? (await accountPassword(context, account)),
    tls: { rejectUnauthorized: smtp.tls?.rejectUnauthorized ?? account.imap.tls?.rejectUnauthorized ?? true }
  }
}

/** ManageSieve login data (RFC 5804): the sieve settings (host defaults to the IMAP host, port 4190) and the IMAP login. */
export async function sieveCredentials(context: CredentialContext, accountId: string): Promise<ServerCredentials> {
  const account = findAccount(context.config, accountId)
  const sieve = account.sieve
  return {
    host: sieve?.host ?? account.imap.host,
    port: sieve?.port ?? 4190,
    security: sieve?.security ?? 'starttls',
    user: account.imap.user,
    password: await accountPassword(context, account),
    tls: { rejectUnauthorized: account.imap.tls?.rejectUnauthorized ?? true }
  }
}

/** The account with its password filled in, for code that takes an AccountConfig (imap/connect.ts, sent/imap-appender.ts). */
export async function withPassword(context: CredentialContext, account: AccountConfig): Promise<AccountConfig> {
  if (account.imap.password !== undefined) return account
  return { ...account, imap: { ...account.imap, password: await accountPassword(context, account) } }
}
