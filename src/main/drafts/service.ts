// Drafts: saved locally at once (the reply to drafts.save), then copied to the account's Drafts mailbox in the
// background, replacing the previous copy. A copy that could not be made (offline, server error) stays `pending`
// and is retried on the next save and at start-up. Deleting a draft removes its server copy the same way.
import { join } from 'node:path'
import type { CallParsedArgs, Draft } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { withPassword, type CredentialContext } from '../accounts/credentials'
import type { Config } from '../config/schema'
import { DRAFT_APPEND_TIMEOUT_MS } from '../config/timeouts'
import type { Logger } from '../log/logger'
import { createImapDraftServer, type DraftServer } from './imap-drafts'
import { checkDraftId, LocalDrafts, newDraftId, publicDraft, type DraftRecord } from './store'

const COMPONENT = 'drafts'

export type DraftInput = CallParsedArgs<'drafts.save'>

export interface DraftServiceOptions extends CredentialContext {
  /** MAILROOM_HOME/drafts. */
  dir: string
  config: Pick<Config, 'accounts' | 'hostname'>
  log: Logger
  now: () => number
  /** Default: IMAP (tests inject fakes). */
  server?: DraftServer
}

export class DraftService {
  private readonly local: LocalDrafts
  private readonly server: DraftServer
  /** One server update at a time, in order: a later save never loses against an earlier one. */
  private chain: Promise<void> = Promise.resolve()

  constructor(private readonly options: DraftServiceOptions) {
    this.local = new LocalDrafts(options.dir)
    this.server = options.server ?? createImapDraftServer()
  }

  static forHome(home: string, options: Omit<DraftServiceOptions, 'dir'>): DraftService {
    return new DraftService({ ...options, dir: join(home, 'drafts') })
  }

  async save(input: DraftInput): Promise<Draft> {
    const id = input.id === undefined ? newDraftId(this.options.now()) : checkDraftId(input.id)
    const previous = await this.local.read(id)
    if (previous?.deleted === true) throw new AppError('INVALID_STATE', `The draft ${id} was deleted`, { id })
    const record: DraftRecord = {
      id, accountId: input.accountId, from: input.from, to: input.to, cc: input.cc, bcc: input.bcc,
      subject: input.subject, text: input.text, inReplyTo: input.inReplyTo, references: input.references,
      updatedAt: this.options.now(),
      // A draft moved to another account: the old account's copy is no longer ours to replace.
      server: previous !== null && previous.accountId === input.accountId ? previous.server : null,
      pending: this.isServerAccount(input.accountId)
    }
    await this.local.write(record)
    this.schedule()
    return publicDraft(record)
  }

  async list(): Promise<Draft[]> {
    const records = await this.local.all((file, error) => this.options.log.warn(COMPONENT, `${file}: ${error.message}`))
    return records.filter((r) => r.deleted !== true).sort((a, b) => b.updatedAt - a.updatedAt).map(publicDraft)
  }

  /** Removes the draft; its server copy goes now or, when the server cannot be reached, on a later retry. */
  async delete(id: string): Promise<boolean> {
    const record = await this.local.read(checkDraftId(id))
    if (record === null || record.deleted === true) return false
    if (record.server === null || !this.isServerAccount(record.accountId)) return this.local.remove(id)
    await this.local.write({ ...record, deleted: true, pending: true })
    this.schedule()
    return true
  }

  /** Start-up: retry what is pending. */
  start(): void {
    this.schedule()
  }

  /** Resolves when every scheduled server update finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain
  }

  private isServerAccount(accountId: string): boolean {
    return this.options.config.accounts.some((a) => a.id === accountId)
  }

  private schedule(): void {
    this.chain = this.chain.then(() => this.syncPending()).catch((error: unknown) => {
      this.options.log.error(COMPONENT, `internal error: ${(error as Error).stack ?? String(error)}`)
    })
  }

  private async syncPending(): Promise<void> {
    const pending = (await this.local.all()).filter((r) => r.pending)
    for (const record of pending) await this.syncOne(record)
  }

  private async syncOne(stale: DraftRecord): Promise<void> {
    // Re-read: the user may have saved again since the list was taken.
    const record = await this.local.read(stale.id)
    if (record === null || !record.pending) return
    const account = this.options.config.accounts.find((a) => a.id === record.accountId)
    if (account === undefined) {
      // The account was removed: nothing to copy to; the local draft stays.
      await this.local.write({ ...record, pending: false, server: null })
      return
    }
    const { log } = this.options
    try {
      const ready = await withPassword(this.options, account)
      if (record.deleted === true) {
        if (record.server !== null) await timed(this.server.remove(ready, record.server))
        await this.local.remove(record.id)
        log.info(COMPONENT, `${record.id}: deleted, with its copy in "${record.server?.mailbox ?? '?'}" of account ${account.id}`)
        return
      }
      const messageId = `<${record.id}.${record.updatedAt.toString(36)}@${this.options.config.hostname}>`
      const copy = await timed(this.server.upload(ready, record, messageId))
      const latest = await this.local.read(record.id)
      // Saved again meanwhile: keep the newer text, remember the new copy (the next run replaces it), stay pending.
      const stillPending = latest !== null && latest.updatedAt !== record.updatedAt
      if (latest === null || latest.deleted === true) {
        await this.local.write({ ...record, server: copy, deleted: true, pending: true })
        this.schedule()
        return
      }
      const { lastError: _old, ...rest } = latest
      await this.local.write({ ...rest, server: copy, pending: stillPending })
      log.info(COMPONENT, `${record.id}: copy saved in "${copy.mailbox}" of account ${account.id}${copy.uid !== null ? ` (uid ${copy.uid})` : ''}`)
    } catch (error) {
      const message = (error as Error).message
      log.warn(COMPONENT, `${record.id}: the server copy waits for a later try: ${message}`)
      const latest = await this.local.read(record.id)
      if (latest !== null) await this.local.write({ ...latest, pending: true, lastError: message })
    }
  }
}

function timed<T>(work: Promise<T>): Promise<T> {
  return Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new AppError('IMAP_CONNECT', `The mail server did not finish within ${DRAFT_APPEND_TIMEOUT_MS / 1000} s`)), DRAFT_APPEND_TIMEOUT_MS).unref())])
}
