// For bench/sync: fills a Dovecot user's Maildir with N small messages by writing the files directly (before the first
// login, so Dovecot indexes them on the first SELECT), and the raw imapflow FETCH the sync is compared with.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ImapFlow, type FetchQueryObject } from 'imapflow'
import { runOk } from '../../tests/support/proc'

/** Every SEARCH_EVERY-th message has SEARCH_WORD in its subject (the local-search measurement looks for it). */
export const SEARCH_WORD = 'kiwi'
export const SEARCH_EVERY = 100

const SENDERS = ['Ada Lovelace <ada@example.org>', 'Grace Hopper <grace@example.net>', 'Alan Turing <alan@example.com>', 'Edsger Dijkstra <ewd@example.org>', 'Barbara Liskov <barbara@example.net>']
const TOPICS = ['Quarterly report', 'Lunch on Friday', 'Build is red again', 'Invoice', 'Meeting notes', 'Holiday plans', 'Re: the design review', 'Server move']

function seedMessage(i: number, user: string): string {
  const date = new Date(Date.UTC(2024, 0, 1) + i * 60_000)
  const subject = `${TOPICS[i % TOPICS.length] as string} #${i}${i % SEARCH_EVERY === 0 ? ` ${SEARCH_WORD}` : ''}`
  return `From: ${SENDERS[i % SENDERS.length] as string}\r\nTo: ${user}@imap.test\r\nSubject: ${subject}\r\n` +
    `Date: ${date.toUTCString()}\r\nMessage-ID: <seed-${i}@bench.test>\r\n` +
    (i % 3 === 1 ? `In-Reply-To: <seed-${i - 1}@bench.test>\r\nReferences: <seed-${i - 1}@bench.test>\r\n` : '') +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMessage ${i} of the benchmark.\r\n${'Some text. '.repeat(20)}\r\n`
}

/**
 * Writes `count` messages into <maildir>/cur (every other one seen), owned by uid/gid 65534 like the rest of the
 * instance's mail. Stops at the deadline and returns how many were written.
 */
export async function seedMaildir(maildir: string, user: string, count: number, deadline: number): Promise<number> {
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true })
  let next = 0
  let written = 0
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++
      const body = seedMessage(i, user)
      const size = Buffer.byteLength(body)
      await writeFile(join(maildir, 'cur', `${1_700_000_000 + i}.M${i}P1.bench,S=${size}:2,${i % 2 === 0 ? 'S' : ''}`), body)
      written++
    }
  }))
  await runOk('chown', ['-R', '65534:65534', join(maildir, '..')], { timeoutMs: 120_000 })
  return written
}

export interface RawFetch {
  messages: number
  seconds: number
}

/**
 * Connect, lock INBOX, run `fetchAll` (which counts messages through `count`), log out; the clock covers all of it and
 * the connection is closed after maxSeconds whatever happens.
 */
async function timedInboxFetch(port: number, user: string, maxSeconds: number, fetchAll: (client: ImapFlow, count: () => void) => Promise<void>): Promise<RawFetch> {
  const start = process.hrtime.bigint()
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user, pass: 'secret' }, logger: false })
  const timer = setTimeout(() => client.close(), maxSeconds * 1000)
  let messages = 0
  try {
    await client.connect()
    const lock = await client.getMailboxLock('INBOX')
    try {
      await fetchAll(client, () => { messages++ })
    } finally {
      lock.release()
    }
    await client.logout()
  } finally {
    clearTimeout(timer)
    client.close()
  }
  return { messages, seconds: Number(process.hrtime.bigint() - start) / 1e9 }
}

/** Connect, SELECT INBOX, one `FETCH 1:*` of `query`, count the messages, log out; the clock covers all of it. */
export function rawFetch(port: number, user: string, query: FetchQueryObject, maxSeconds: number): Promise<RawFetch> {
  return timedInboxFetch(port, user, maxSeconds, async (client, count) => {
    for await (const msg of client.fetch('1:*', query)) if (msg.uid > 0) count()
  })
}

/**
 * Like rawFetch, but as the sync asks: UID SEARCH ALL, then FETCH in batches of `batch` UIDs, newest first (no cache
 * writes): separates what batching costs from what writing the cache costs.
 */
export function rawBatchedFetch(port: number, user: string, query: FetchQueryObject, batch: number, maxSeconds: number): Promise<RawFetch> {
  return timedInboxFetch(port, user, maxSeconds, async (client, count) => {
    const uids = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => b - a)
    for (let i = 0; i < uids.length; i += batch) {
      const slice = uids.slice(i, i + batch)
      const range = `${slice[slice.length - 1] as number}:${slice[0] as number}`
      for await (const msg of client.fetch(range, query, { uid: true })) if (msg.uid > 0) count()
    }
  })
}
