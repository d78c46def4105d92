// Section "mail": folders, lists, the reader, search, flags and moves, for IMAP accounts (cache + sync engine) and
// the Local account (the user's Maildir, indexed into cache/local.db; read directly when node:sqlite is missing).
import { mkdtemp } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { mailCalls } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { accountCredentials } from '../accounts/credentials'
import { loadSqlite, sqliteProblem } from '../cache/db'
import { LocalAccount } from '../cache/local-account'
import { LegacyLocalAccount } from '../cache/local-legacy'
import { RemoteContentList } from '../cache/remote-content'
import { isEmptyQuery, parseSearch } from '../cache/search-query'
import type { EngineEvents } from '../imap/engine'
import { ImapAccount } from '../imap/imap-account'
import type { MailAccount } from '../imap/mail-account'
import { parseMessageFile, saveAttachmentFromFile } from '../imap/message-parse'
import { createMessageParser, type MessageParser, type MessageParserOptions } from '../parse'
import { LOCAL_ACCOUNT_ID, localMaildir, MaildirReader } from '../local/maildir-reader'
import type { Section, SectionContext } from './section'

export type MailCallName = Exclude<keyof typeof mailCalls, `drafts.${string}`>

export interface MailSectionOptions {
  /** Opens a file with the desktop's default program (Electron's shell.openPath); absent in browser mode. */
  openPath?: (path: string) => Promise<boolean>
  /** Where attachments go without an explicit path (default ~/Downloads). */
  downloadsDir?: string
  /** Force UID windows (tests of servers without CONDSTORE). */
  windowsOnly?: boolean
  reconnectFirstMs?: number
  reconnectMaxMs?: number
  /** The parse worker pool's options (tests pass `spawn`: a worker built from the sources). */
  parser?: MessageParserOptions
}

export function createMailSection(context: SectionContext, options: MailSectionOptions = {}): Section<MailCallName> & { account(id: string): Promise<MailAccount> } {
  const { config, paths, log, events, clock } = context
  const accounts = new Map<string, Promise<MailAccount>>()
  const remoteContent = new RemoteContentList(join(paths.etc, 'remote-content.json'))
  let running = false
  // One parse worker pool for the app (reads, and the Local account's index), started on first use, stopped in close().
  let parserPool: MessageParser | null = null
  const parser = (): MessageParser => (parserPool ??= createMessageParser(options.parser ?? {}))

  const engineEvents = (accountId: string): EngineEvents => ({
    progress: (p) => events.emit('mail.syncProgress', { accountId, ...p }),
    changed: (mailbox) => events.emit('mail.changed', { accountId, mailbox }),
    newMail: (mailbox, messages) => { if (messages.length > 0) events.emit('mail.newMail', { accountId, mailbox, messages }) },
    status: (state, pendingChanges, message) => events.emit('account.status', { accountId, state, pendingChanges, ...(message !== undefined ? { message } : {}) })
  })

  async function openAccount(accountId: string): Promise<MailAccount> {
    if (accountId === LOCAL_ACCOUNT_ID) {
      const maildir = localMaildir(paths.mail)
      if ((await loadSqlite()) === null) {
        log.warn('mail', `Local account without a cache: ${sqliteProblem()}`)
        return new LegacyLocalAccount(new MaildirReader(maildir, parser(), log))
      }
      const opened = await LocalAccount.open(paths.cache, maildir, {
        changed: (mailbox) => events.emit('mail.changed', { accountId, mailbox }),
        newMail: (mailbox, messages) => events.emit('mail.newMail', { accountId, mailbox, messages })
      }, parser(), log)
      if (running) opened.start()
      return opened
    }
    const account = config.accounts.find((a) => a.id === accountId)
    if (account === undefined) throw new AppError('ACCOUNT_NOT_FOUND', `There is no account "${accountId}" in config.json`, { account: accountId })
    const opened = await ImapAccount.open({
      account, cacheDir: paths.cache, log, now: () => clock.now(), events: engineEvents(accountId),
      credentials: () => accountCredentials(context, accountId),
      ...(options.windowsOnly !== undefined ? { windowsOnly: options.windowsOnly } : {}),
      ...(options.reconnectFirstMs !== undefined ? { reconnectFirstMs: options.reconnectFirstMs } : {}),
      ...(options.reconnectMaxMs !== undefined ? { reconnectMaxMs: options.reconnectMaxMs } : {})
    })
    if (running) opened.start()
    return opened
  }

  function account(accountId: string): Promise<MailAccount> {
    let existing = accounts.get(accountId)
    if (existing === undefined) {
      existing = openAccount(accountId)
      accounts.set(accountId, existing)
      existing.catch(() => accounts.delete(accountId))
    }
    return existing
  }

  async function readFile(accountId: string, mailbox: string, uid: number): Promise<{ file: string; target: MailAccount }> {
    const target = await account(accountId)
    return { file: await target.messageFile(mailbox, uid), target }
  }

  return {
    account,
    handlers: {
      'mail.folders': async ({ accountId }) => (await account(accountId)).folders(),
      'mail.list': async ({ accountId, mailbox, offset, limit }) => (await account(accountId)).list(mailbox, offset, limit),
      'mail.read': async ({ accountId, mailbox, uid }) => {
        const { file, target } = await readFile(accountId, mailbox, uid)
        const parsed = await parseMessageFile(parser(), file)
        const flags = target.afterRead(mailbox, uid, file, parsed)
        return { ...parsed.view, uid, ...flags, remoteContentAllowed: await remoteContent.allowed(parsed.view.fromAddress) }
      },
      'mail.search': async ({ accountId, mailbox, query, scope, limit }) => {
        const parsed = parseSearch(query, clock.now())
        if (isEmptyQuery(parsed)) return { messages: [], scope }
        return (await account(accountId)).search(mailbox, parsed, scope, limit)
      },
      'mail.setFlags': async ({ accountId, mailbox, uids, add, remove }) => (await account(accountId)).setFlags(mailbox, uids, add, remove),
      'mail.move': async ({ accountId, mailbox, uids, target }) => (await account(accountId)).move(mailbox, uids, target),
      'mail.delete': async ({ accountId, mailbox, uids }) => (await account(accountId)).delete(mailbox, uids),
      'mail.sync': async ({ accountId, mailbox }) => (await account(accountId)).sync(mailbox),
      'mail.attachment.save': async ({ accountId, mailbox, uid, attachmentId, path }) => {
        const { file } = await readFile(accountId, mailbox, uid)
        return saveAttachmentFromFile(parser(), file, attachmentId, path !== undefined ? { file: path } : { dir: options.downloadsDir ?? join(homedir(), 'Downloads') })
      },
      'mail.attachment.open': async ({ accountId, mailbox, uid, attachmentId }) => {
        const { file } = await readFile(accountId, mailbox, uid)
        const dir = await mkdtemp(join(tmpdir(), 'mailroom-open-'))
        const saved = await saveAttachmentFromFile(parser(), file, attachmentId, { dir })
        const opened = options.openPath !== undefined && context.mode === 'electron' ? await options.openPath(saved.path) : false
        return { path: saved.path, opened }
      },
      'mail.allowRemoteContent': async ({ sender }) => {
        await remoteContent.allow(sender)
        return { allowed: true as const }
      }
    },
    async start() {
      if (context.mode !== 'electron' && context.mode !== 'browser') return
      running = true
      for (const a of [...config.accounts, { id: LOCAL_ACCOUNT_ID }]) {
        try {
          (await account(a.id)).start()
        } catch (error) {
          log.warn('mail', `${a.id}: reading is not available: ${(error as Error).message}`)
          events.emit('account.status', { accountId: a.id, state: 'error', message: (error as Error).message, pendingChanges: 0 })
        }
      }
    },
    async close() {
      running = false
      const open = [...accounts.values()]
      accounts.clear()
      for (const p of open) await (await p.catch(() => null))?.close()
      const pool = parserPool
      parserPool = null
      await pool?.close()
    }
  }
}
