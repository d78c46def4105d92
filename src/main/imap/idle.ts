// Push from the server: the reading session sits selected on INBOX (imapflow's auto-IDLE starts after a quiet
// moment) and turns untagged EXISTS / EXPUNGE / FETCH FLAGS into cache updates and "sync this folder" requests.
import type { ExistsEvent, ExpungeEvent, FlagsEvent, ImapFlow } from 'imapflow'
import type { MessageStore } from '../cache/store'

export const IDLE_MAILBOX = 'INBOX'

export interface PushHandlers {
  /** New messages or an expunge by sequence number: the folder needs an incremental sync. */
  needSync(mailbox: string): void
  /** The cache changed from a push alone (flags, a VANISHED uid). */
  changed(mailbox: string): void
}

/** Attaches the push listeners to a fresh client; returns a function that detaches them. */
export function watchPushes(client: ImapFlow, store: MessageStore, handlers: PushHandlers): () => void {
  const onExists = (event: ExistsEvent): void => {
    if (event.count > event.prevCount) handlers.needSync(event.path)
  }
  const onExpunge = (event: ExpungeEvent): void => {
    if (event.uid !== undefined) {
      if (store.deleteUids(event.path, [event.uid]) > 0) handlers.changed(event.path)
    } else handlers.needSync(event.path)
  }
  const onFlags = (event: FlagsEvent): void => {
    if (event.uid === undefined) return handlers.needSync(event.path)
    if (store.setFlags(event.path, event.uid, [...event.flags], event.modseq?.toString() ?? null)) handlers.changed(event.path)
  }
  client.on('exists', onExists)
  client.on('expunge', onExpunge)
  client.on('flags', onFlags)
  return () => {
    client.off('exists', onExists)
    client.off('expunge', onExpunge)
    client.off('flags', onFlags)
  }
}

/**
 * Leaves the session selected on INBOX so auto-IDLE watches it (after other folders were synced or changed).
 * Returns true when INBOX changed since its last sync (mail that arrived while another folder was selected sends
 * no push): the caller syncs it again.
 */
export async function parkOnInbox(client: ImapFlow, store: MessageStore): Promise<boolean> {
  if (!client.usable) return false
  if (client.mailbox !== false && client.mailbox.path === IDLE_MAILBOX) return false
  const mailbox = await client.mailboxOpen(IDLE_MAILBOX)
  const state = store.folderState(IDLE_MAILBOX)
  if (state === null || state.uidvalidity === null) return false
  return mailbox.uidNext !== state.uidnext || mailbox.exists !== store.count(IDLE_MAILBOX)
}
