// Section "accounts": the account list (IMAP accounts, then the built-in Local account), add/edit/remove with the
// password in the secret store, discovery by DNS SRV, and the step-by-step connection test.
import type { AccountDetails, AccountSettings, accountCalls } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { accountPassword, findAccount, secretStoreOf } from '../accounts/credentials'
import { testAccount } from '../accounts/connection-test'
import { discoverServers } from '../accounts/discovery'
import { accountIdFor, createAccountStore, type AccountStore } from '../accounts/store'
import type { AccountConfig } from '../config/schema'
import { localAddress } from '../config/identity'
import { LOCAL_ACCOUNT_ID } from '../local/maildir-reader'
import type { Section, SectionContext } from './section'

const LOOPBACK = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|\[::1\])$/i

/** config.json's form of the settings (no password: it goes to the secret store); plaintext only on this machine. */
function rawAccount(id: string, settings: AccountSettings): Record<string, unknown> {
  for (const [key, server] of [['imap', settings.imap], ['smtp', settings.smtp]] as const) {
    if (server?.security === 'none' && !LOOPBACK.test(server.host)) {
      throw new AppError('INVALID_ARGUMENT', `${key}.security "none" sends the password unencrypted; it is only allowed for a server on this computer (localhost, 127.x.y.z, ::1)`, { key: `${key}.security` })
    }
  }
  return JSON.parse(JSON.stringify({ ...settings, id })) as Record<string, unknown>
}

/** The settings of a configured account, without any password. */
export function settingsOf(account: AccountConfig): AccountDetails['settings'] {
  const { password: _imapPassword, ...imap } = account.imap
  const smtp = account.smtp === undefined ? undefined : (({ password: _p, ...rest }) => rest)(account.smtp)
  return JSON.parse(JSON.stringify({ ...account, imap, smtp })) as AccountDetails['settings']
}

export function createAccountsSection(context: SectionContext): Section<keyof typeof accountCalls> {
  const { config, log } = context
  let store: AccountStore | null = null
  const accountStore = (): AccountStore => {
    if (store === null) {
      store = createAccountStore({ file: context.paths.config, config })
      store.onChange(() => context.events.emit('accounts.changed', { accounts: summaries() }))
    }
    return store
  }
  const summaries = (): Array<{ id: string; email: string; name?: string }> => [
    ...config.accounts.map((a) => ({ id: a.id, email: a.email, ...(a.name !== undefined ? { name: a.name } : {}) })),
    { id: LOCAL_ACCOUNT_ID, email: localAddress(config), name: 'Local' }
  ]

  async function details(id: string): Promise<AccountDetails> {
    const account = findAccount(config, id)
    const passwordInConfig = account.imap.password !== undefined
    const hasPassword = passwordInConfig || (await secretStoreOf(context).get(id)) !== null
    return { settings: settingsOf(account), hasPassword, passwordInConfig }
  }

  function refuseWeak(allowWeak: boolean): void {
    const secrets = secretStoreOf(context)
    if (secrets.weak === true && !allowWeak) {
      throw new AppError('SECRET_STORE', `${secrets.note} Tick "Store the password anyway" to save it like this.`, { backend: secrets.backend, weak: true })
    }
  }

  return {
    handlers: {
      // IMAP accounts first (the Inbox opens on the first one), then the Local account.
      'accounts.list': async () => summaries(),
      'accounts.get': ({ id }) => details(id),
      'accounts.discover': ({ email }) => discoverServers(email, { resolver: context.resolver }),
      'accounts.test': async ({ settings, password, accountId }) => {
        let secret = password
        if (secret === undefined) {
          if (accountId === undefined) throw new AppError('INVALID_ARGUMENT', 'Enter the password to test the connection')
          secret = await accountPassword(context, findAccount(config, accountId))
        }
        return testAccount(settings, secret, { resolver: context.resolver, hostname: config.hostname })
      },
      'accounts.add': async ({ settings, password, allowWeakSecretStorage }) => {
        const id = settings.id ?? accountIdFor(settings.email, config.accounts.map((a) => a.id))
        if (config.accounts.some((a) => a.id === id)) throw new AppError('INVALID_ARGUMENT', `An account with the id "${id}" exists already`, { account: id })
        if (id === LOCAL_ACCOUNT_ID) throw new AppError('INVALID_ARGUMENT', '"local" is the name of the built-in local mailbox; choose another id')
        const raw = rawAccount(id, settings)
        refuseWeak(allowWeakSecretStorage)
        const secrets = secretStoreOf(context)
        // The secret first: config.json never names an account whose password was not stored.
        await secrets.set(id, password, { allowWeak: allowWeakSecretStorage })
        try {
          await accountStore().add(raw)
        } catch (error) {
          await secrets.delete(id).catch(() => false)
          throw error
        }
        log.info('accounts', `account ${id} (${settings.email}) added; password in the ${secrets.backend} store`)
        return details(id)
      },
      'accounts.update': async ({ id, settings, password, allowWeakSecretStorage }) => {
        const existing = findAccount(config, id)
        const raw = rawAccount(id, settings)
        const secrets = secretStoreOf(context)
        const legacy = existing.imap.password
        if (password !== undefined || legacy !== undefined) refuseWeak(allowWeakSecretStorage)
        // A password still written in config.json moves to the secret store before config.json loses it.
        if (password === undefined && legacy !== undefined) await secrets.set(id, legacy, { allowWeak: allowWeakSecretStorage })
        // A new password replaces the stored one only once the new settings were accepted: a refused change keeps both.
        await accountStore().update(id, raw)
        if (password !== undefined) await secrets.set(id, password, { allowWeak: allowWeakSecretStorage })
        log.info('accounts', `account ${id} changed${password !== undefined ? ' (new password)' : ''}`)
        return details(id)
      },
      'accounts.remove': async ({ id }) => {
        const removed = await accountStore().remove(id)
        await secretStoreOf(context).delete(id)
        if (removed) log.info('accounts', `account ${id} removed with its stored password`)
        return { removed }
      },
      'accounts.secretStorage': async () => {
        const secrets = secretStoreOf(context)
        return { backend: secrets.backend, note: secrets.note, weak: secrets.weak === true }
      }
    }
  }
}
