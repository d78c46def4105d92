// The reading section wired to a test Dovecot: a temp MAILROOM_HOME, an account "alice", collected events, and a
// second imapflow client that plays "another device" changing the mailbox on the server.
import { ImapFlow } from 'imapflow'
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../../../src/main/app/clock'
import type { SectionContext } from '../../../src/main/app/section'
import { createMailSection, type MailSectionOptions } from '../../../src/main/app/section-mail'
import { pathsFor } from '../../../src/main/config/paths'
import type { AccountConfig, Config } from '../../../src/main/config/schema'
import { EventHub } from '../../../src/main/ipc/events'
import { memoryLogger } from '../../../src/main/log/logger'
import type { EventName } from '../../../src/shared/contract'
import { killDovecot, restartDovecot } from '../../support/dovecot-control'
import type { DovecotInstance } from '../../support/dovecot'
import { buildParseWorker, type BuiltWorker } from '../../unit/parse/build-worker'

export interface ReadingWorld {
  home: string
  section: ReturnType<typeof createMailSection>
  events: { name: EventName; payload: Record<string, unknown> }[]
  log: ReturnType<typeof memoryLogger>
  /** Resolves with the first event (after this call) that satisfies `match`. */
  nextEvent(name: EventName, match?: (payload: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  close(): Promise<void>
}

/** The real parse worker built from the sources, shared by the open worlds (vitest cannot load `?nodeWorker`). */
let parseWorker: Promise<BuiltWorker> | null = null
let worldsOpen = 0
function useParseWorker(): Promise<BuiltWorker> {
  worldsOpen += 1
  return (parseWorker ??= buildParseWorker())
}
/** Removes the built worker when the last world is closed. */
async function releaseParseWorker(): Promise<void> {
  worldsOpen -= 1
  if (worldsOpen > 0) return
  const built = parseWorker
  parseWorker = null
  await (await built)?.cleanup()
}

export async function readingWorld(imap: { host: string; port: number }, options: MailSectionOptions = {}): Promise<ReadingWorld> {
  const home = await mkdtemp(join(tmpdir(), 'mailroom-read-it-'))
  const account: AccountConfig = { id: 'alice', email: 'alice@imap.test', imap: { host: imap.host, port: imap.port, security: 'none', user: 'alice', password: 'secret' } }
  const log = memoryLogger()
  const hub = new EventHub()
  const events: ReadingWorld['events'] = []
  const waiters: { name: EventName; match: (p: Record<string, unknown>) => boolean; resolve: (p: Record<string, unknown>) => void }[] = []
  hub.subscribe((name, payload) => {
    const p = payload as Record<string, unknown>
    events.push({ name, payload: p })
    for (const w of [...waiters]) {
      if (w.name === name && w.match(p)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(p)
      }
    }
  })
  const context = {
    mode: 'browser', paths: pathsFor(home), config: { accounts: [account], hostname: 'mailroom.test' } as unknown as Config, log, events: hub, clock: systemClock
  } as unknown as SectionContext
  const { spawn } = await useParseWorker()
  const section = createMailSection(context, { reconnectFirstMs: 200, reconnectMaxMs: 1000, downloadsDir: join(home, 'Downloads'), parser: { spawn }, ...options })
  return {
    home, section, events, log,
    nextEvent(name, match = () => true, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} event within ${timeoutMs} ms; log:\n${log.lines.slice(-20).join('\n')}`)), timeoutMs)
        waiters.push({ name, match, resolve: (p) => { clearTimeout(timer); resolve(p) } })
      })
    },
    async close() {
      await section.close?.()
      await releaseParseWorker()
      await rm(home, { recursive: true, force: true })
    }
  }
}

/** Another device: a direct imapflow session to the server. */
export async function otherDevice(dovecot: DovecotInstance): Promise<ImapFlow> {
  const client = new ImapFlow({ host: dovecot.address, port: dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'secret' }, logger: false })
  client.on('error', () => undefined)
  await client.connect()
  return client
}

/** Gives alice special-use Sent, Trash and Archive mailboxes (auto-created), then restarts the instance. */
export async function addSpecialUseFolders(dovecot: DovecotInstance): Promise<void> {
  const box = (name: string, use: string): string => `  mailbox "${name}" {\n    special_use = \\${use}\n    auto = subscribe\n  }\n`
  await appendFile(join(dovecot.dir, 'dovecot.conf'), `namespace inbox {\n  inbox = yes\n${box('Sent', 'Sent')}${box('Trash', 'Trash')}${box('Archive', 'Archive')}}\n`)
  await killDovecot(dovecot)
  await restartDovecot(dovecot)
}

let counter = 0
export function plainMessage(subject: string, body = 'Hello there.', extra: string[] = []): string {
  counter += 1
  return [
    'Date: Wed, 25 Nov 2026 09:15:00 +0000', 'From: Carol Sender <carol@remote.test>', 'To: alice@imap.test', `Subject: ${subject}`,
    `Message-ID: <read-${counter}.${process.pid}@remote.test>`, ...extra, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''
  ].join('\r\n')
}

export function withAttachment(subject: string, bytes: Buffer): string {
  counter += 1
  const b64 = bytes.toString('base64').replace(/.{76}/g, '$&\r\n')
  return [
    'Date: Wed, 25 Nov 2026 10:00:00 +0000', 'From: Dan <dan@remote.test>', 'To: alice@imap.test', `Subject: ${subject}`,
    `Message-ID: <att-${counter}.${process.pid}@remote.test>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
    '--b1', 'Content-Type: text/plain; charset=utf-8', '', 'The report is attached.', '--b1',
    'Content-Type: application/octet-stream; name="report.bin"', 'Content-Disposition: attachment; filename="report.bin"',
    'Content-Transfer-Encoding: base64', '', b64, '--b1--', ''
  ].join('\r\n')
}

export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== null && value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
