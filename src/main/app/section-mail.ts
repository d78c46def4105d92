// Section "mail": folders, lists, the reader, search, flags and moves, for IMAP accounts and the Local account.
import type { mailCalls } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { ImapReader } from '../imap/reader'
import { LOCAL_ACCOUNT_ID, localMaildir, MaildirReader } from '../local/maildir-reader'
import type { Section, SectionContext } from './section'

export type MailCallName = Exclude<keyof typeof mailCalls, `drafts.${string}`>

const notYet = async (): Promise<never> => {
  throw new AppError('INVALID_STATE', 'this part of the reader is not available yet')
}

export function createMailSection({ config, paths, log }: SectionContext): Section<MailCallName> {
  const imap = new ImapReader(config.accounts, log)
  const local = new MaildirReader(localMaildir(paths.mail), log)
  return {
    handlers: {
      'mail.folders': notYet,
      'mail.list': ({ accountId, mailbox, limit }) => accountId === LOCAL_ACCOUNT_ID ? local.list(mailbox, limit) : imap.list(accountId, mailbox, limit),
      'mail.read': ({ accountId, mailbox, uid }) => accountId === LOCAL_ACCOUNT_ID ? local.read(mailbox, uid) : imap.read(accountId, mailbox, uid),
      'mail.search': notYet,
      'mail.setFlags': notYet,
      'mail.move': notYet,
      'mail.delete': notYet,
      'mail.sync': notYet,
      'mail.attachment.save': notYet,
      'mail.attachment.open': notYet,
      'mail.allowRemoteContent': notYet
    },
    close: () => imap.close()
  }
}
