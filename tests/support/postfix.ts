// Starts a throwaway Postfix (remote MX or smart host) on its own loopback address; mail lands in a Maildir.
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { track, untrack, reapOrphans } from './cleanup'
import { backdate, logTail, makeServerDir, removeServerDir } from './files'
import { isPortFree, waitForPort, waitForPortFree } from './ports'
import { accessMap, writePostfixConfig } from './postfix-config'
import { childPids, commandLine, isAlive, killGroup, pollUntil, readPidFile, requireExecutable, run, runOk, signal, waitForExit } from './proc'

export interface PostfixOptions {
  /** listener address, default 127.0.0.2 (root may bind any 127.x.y.z) */
  address?: string
  /** listener port, default 25 (direct MX delivery must work without a port override) */
  port?: number
  /** virtual mailbox domains, default ['remote.test']: every recipient there lands in `maildir` */
  domains?: string[]
  /** recipient (or domain) -> reply, e.g. { 'gone@remote.test': '550 5.1.1 no such user' } */
  access?: Record<string, string>
  /** STARTTLS with a self-signed cert; AUTH only after TLS */
  tls?: boolean
  /** SMTP AUTH via a Dovecot instance's auth socket; relay only for authenticated clients */
  sasl?: { dovecotDir: string }
  /** pass mail for other domains on, e.g. '[127.0.0.2]:25' */
  relayhost?: string
  /** extra main.cf settings applied last, e.g. { message_size_limit: '100000' } */
  mainCf?: Record<string, string>
  /** how long to wait for the listener, default 10 s */
  startTimeoutMs?: number
}

export interface StoredMessage {
  /** absolute path of the Maildir file */
  file: string
  /** the message as delivered, starting with Postfix's Return-Path/Delivered-To/Received headers */
  raw: string
}

export interface PostfixInstance {
  readonly dir: string
  readonly address: string
  readonly port: number
  readonly domains: string[]
  /** DIR/mail/inbox: the Maildir every accepted recipient is delivered to */
  readonly maildir: string
  /** delivered messages (Maildir new/ and cur/), oldest first */
  messages(): Promise<StoredMessage[]>
  /** poll until at least `count` messages arrived (default timeout 10 s); the error shows the maillog tail */
  waitForMessages(count: number, timeoutMs?: number): Promise<StoredMessage[]>
  /** delete delivered messages (between test cases) */
  clearMessages(): Promise<void>
  /** the instance's whole log (DIR/maillog) */
  maillog(): Promise<string>
  /** replace the access map and reload, so new connections get the new replies */
  setAccess(map: Record<string, string>): Promise<void>
  /** orderly stop; waits until the port is free and removes DIR. Idempotent. */
  stop(): Promise<void>
  /**
   * Crash: SIGKILL the master, then its children (one still initialising would otherwise hold the
   * listening socket for seconds while it retries the dead master's services). Waits until the port
   * is closed; call stop() afterwards to clean up.
   */
  kill(): Promise<void>
}

export async function startPostfix(opts: PostfixOptions = {}): Promise<PostfixInstance> {
  requireExecutable('postfix')
  await reapOrphans()
  const address = opts.address ?? '127.0.0.2'
  const port = opts.port ?? 25
  const domains = opts.domains ?? ['remote.test']
  const name = `postfix ${address}:${port}`
  if (!(await isPortFree(address, port))) throw new Error(`${name}: the address is already in use\n${await whoListens(port)}`)

  const dir = await makeServerDir('postfix', ['spool/pid/master.pid'])
  const etc = join(dir, 'etc')
  const maildir = join(dir, 'mail', 'inbox')
  const maillogPath = join(dir, 'maillog')
  const masterPid = (): number | undefined => readPidFile(join(dir, 'spool', 'pid', 'master.pid'))
  const tail = (): Promise<string> => logTail(maillogPath)
  let stopping: Promise<void> | undefined

  const killAll = (): void => {
    const pid = masterPid()
    if (pid !== undefined) killGroup(pid)
  }

  const instance: PostfixInstance & { name: string; killAll(): void } = {
    name, dir, address, port, domains, maildir, killAll,
    messages: () => readMaildir(maildir),
    async waitForMessages(count, timeoutMs = 10_000) {
      return pollUntil(async () => {
        const found = await readMaildir(maildir)
        return found.length >= count ? found : undefined
      }, timeoutMs, async () => {
        const found = (await readMaildir(maildir)).length
        return `${name}: expected ${count} message(s) in ${maildir}, found ${found} after ${timeoutMs} ms\n` +
          `${await queueListing(etc)}\n${await tail()}`
      }, 100)
    },
    async clearMessages() {
      for (const sub of ['new', 'cur']) {
        const files = await readdir(join(maildir, sub)).catch(() => [] as string[])
        await Promise.all(files.map((f) => rm(join(maildir, sub, f), { force: true })))
      }
    },
    maillog: () => readFile(maillogPath, 'utf8').catch(() => ''),
    async setAccess(map) {
      const before = smtpdPids(masterPid())
      await writeFile(join(etc, 'access'), accessMap(map))
      // A texthash file younger than a second or two makes every smtpd that opens it doze until it ages.
      await backdate([join(etc, 'access')])
      // texthash maps are read once per smtpd process: reload makes the master retire the old ones.
      await runOk('postfix', ['-c', etc, 'reload'], { outputFile: join(dir, 'reload.out') })
      // Idle smtpd processes exit right after the reload; one busy with an open session finishes it first.
      await pollUntil(() => before.every((pid) => !isAlive(pid)), 3000, () => '', 25).catch(() => undefined)
    },
    stop() {
      stopping ??= (async () => {
        untrack(instance)
        try {
          const pid = masterPid()
          if (pid !== undefined && isAlive(pid)) {
            await run('postfix', ['-c', etc, 'stop'], { timeoutMs: 10_000, outputFile: join(dir, 'stop.out') }).catch(() => undefined)
            if (!(await waitForExit(pid, 10_000))) killGroup(pid)
          }
          // Stragglers (after kill(), or children still shutting down) must not keep the port.
          killAll()
          await waitForPortFree(address, port, 10_000, { detail: tail })
        } finally {
          await removeServerDir(dir)
        }
      })()
      return stopping
    },
    async kill() {
      const pid = masterPid()
      if (pid === undefined || !isAlive(pid)) return
      signal(pid, 'SIGKILL')
      await waitForExit(pid, 5000)
      killGroup(pid)
      await waitForPortFree(address, port, 10_000, { detail: tail })
    }
  }

  try {
    await writePostfixConfig({
      dir, address, port, domains, access: opts.access ?? {}, tls: opts.tls ?? false,
      saslDovecotDir: opts.sasl?.dovecotDir, relayhost: opts.relayhost, mainCf: opts.mainCf
    })
    track(instance)
    const started = await run('postfix', ['-c', etc, 'start'], { outputFile: join(dir, 'start.out') })
    // Start-up errors go to the maillog (and to a terminal, which we do not have). Output goes to files,
    // not pipes: the postfix command leaves background helpers (postsuper) holding its stdout.
    if (started.code !== 0) throw new Error(`${name}: postfix start failed (exit code ${started.code})\n${started.stdout}\n${await tail()}`)
    await waitForPort(address, port, opts.startTimeoutMs ?? 10_000, { detail: async () => `${name} did not start\n${await tail()}` })
  } catch (err) {
    await instance.stop().catch(() => undefined)
    throw err
  }
  return instance
}

/** Delivered messages in Maildir new/ and cur/, oldest first. */
async function readMaildir(maildir: string): Promise<StoredMessage[]> {
  const found: Array<StoredMessage & { mtime: number }> = []
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch(() => [] as string[])
    for (const name of names) {
      const file = join(maildir, sub, name)
      try {
        const [raw, info] = await Promise.all([readFile(file, 'utf8'), stat(file)])
        found.push({ file, raw, mtime: info.mtimeMs })
      } catch {
        // moved or deleted meanwhile
      }
    }
  }
  found.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file))
  return found.map(({ file, raw }) => ({ file, raw }))
}

/** pids of this master's smtpd children (read from /proc). */
function smtpdPids(masterPid: number | undefined): number[] {
  if (masterPid === undefined) return []
  return childPids(masterPid).filter((pid) => commandLine(pid).startsWith('smtpd'))
}

/** `postqueue -p` output, to show mail stuck in the queue when a wait times out. */
async function queueListing(etc: string): Promise<string> {
  const result = await run('postqueue', ['-c', etc, '-p'], { timeoutMs: 5000 }).catch((err: Error) => ({ stdout: err.message, stderr: '' }))
  return `--- queue (postqueue -p) ---\n${(result.stdout + result.stderr).trim()}`
}

/** Who holds the port, for the "already in use" error. */
async function whoListens(port: number): Promise<string> {
  const result = await run('ss', ['-ltnp', `sport = :${port}`], { timeoutMs: 5000 }).catch(() => undefined)
  return result ? result.stdout.trim() : ''
}
