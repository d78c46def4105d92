// Sent copies for accounts whose password is in the secret store: wraps an appender so every session logs in with it.
import type { SentAppender } from '../sent/types'
import { withPassword, type CredentialContext } from './credentials'

/** `createSentCopies({ …, appender: withAccountPasswords(createImapAppender(), context) })`. */
export function withAccountPasswords(appender: SentAppender, context: CredentialContext): SentAppender {
  return {
    async open(account) {
      return appender.open(await withPassword(context, account))
    }
  }
}
