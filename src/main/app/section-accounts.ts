// Section "accounts": the account list (IMAP accounts, then the built-in Local account), and later add/edit/remove.
import type { accountCalls } from '../../shared/contract'
import { localAddress } from '../config/identity'
import { LOCAL_ACCOUNT_ID } from '../local/maildir-reader'
import type { Section, SectionContext } from './section'

export function createAccountsSection({ config }: SectionContext): Section<keyof typeof accountCalls> {
  return {
    handlers: {
      // IMAP accounts first (the Inbox opens on the first one), then the Local account.
      'accounts.list': async () => [
        ...config.accounts.map((a) => ({ id: a.id, email: a.email, ...(a.name !== undefined ? { name: a.name } : {}) })),
        { id: LOCAL_ACCOUNT_ID, email: localAddress(config), name: 'Local' }
      ]
    }
  }
}
