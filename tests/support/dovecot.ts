// Starts a throwaway Dovecot: IMAP (plain + STARTTLS), LMTP running Sieve, ManageSieve, and a SASL socket for Postfix.
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { reapOrphans, track, untrack } from './cleanup'
import { logTail, makeServerDir, removeServerDir, selfSignedCert } from './files'
import { lmtpDeliver } from './lmtp'
import { freePorts, isPortFree, waitForPort, waitForPortFree } from './ports'
import { isAlive, killGroup, readPidFile, requireExecutable, run, signal, waitForExit } from './proc'

export interface DovecotOptions {
  /** listen address, default 127.0.0.1 */
  address?: string
  /** default: free ports picked at start */
  imapPort?: number
  lmtpPort?: number
  sievePort?: number
  /** where Sieve vacation/redirect replies are sent, default 127.0.0.2:25 (the Postfix MX instance) */
  submissionHost?: string
  /** user -> password, default { alice: 'secret', bob: 'secret' } */
  users?: Record<string, string>
  /**
   * Keep Dovecot's auth penalty: after a failed login, the next auth from that IP waits 4–15 s (for
   * 29 s). Off by default (its anvil socket is removed before the first login), like auth_failure_delay = 0.
   */
  authPenalty?: boolean
  /** how long to wait for the listeners, default 10 s */
  startTimeoutMs?: number
}

export interface DovecotInstance {
  readonly dir: string
  readonly address: string
  readonly imapPort: number
  readonly lmtpPort: number
  readonly sievePort: number
  readonly users: Readonly<Record<string, string>>
  /** the SASL socket Postfix's smtpd_sasl_path points at */
  readonly authSocket: string
  /** DIR/mail/<user>/Maildir */
  maildirOf(user: string): string
  /** seed a message through a real LMTP session (runs the user's active Sieve script); to `user@imap.test` */
  deliver(user: string, raw: string | Buffer, opts?: { from?: string }): Promise<void>
  /** the instance's log (DIR/dovecot.log) */
  log(): Promise<string>
  /**
   * Stop, wait until the ports are free, remove DIR. Idempotent. By default SIGKILLs the master's process
   * group at once: Dovecot's own SIGTERM shutdown takes a second waiting for its children, and the
   * instance is thrown away. `graceful: true` sends SIGTERM instead (clients see "* BYE Server shutting down").
   */
  stop(opts?: { graceful?: boolean }): Promise<void>
}

/** The mail domain of the test users: deliver('alice', …) goes to alice@imap.test. */
export const IMAP_DOMAIN = 'imap.test'

/** uid/gid of the mail users (nobody/nogroup), as in the Postfix instance. */
const MAIL_UID = 65534

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotInstance> {
  requireExecutable('dovecot')
  await reapOrphans()
  const address = opts.address ?? '127.0.0.1'
  const users = opts.users ?? { alice: 'secret', bob: 'secret' }
  const picked = await freePorts(3, address)
  const imapPort = opts.imapPort ?? (picked[0] as number)
  const lmtpPort = opts.lmtpPort ?? (picked[1] as number)
  const sievePort = opts.sievePort ?? (picked[2] as number)
  const ports = [imapPort, lmtpPort, sievePort]
  const name = `dovecot ${address} imap:${imapPort} lmtp:${lmtpPort} sieve:${sievePort}`
  for (const port of ports) {
    if (!(await isPortFree(address, port))) throw new Error(`${name}: ${address}:${port} is already in use`)
  }

  const dir = await makeServerDir('dovecot', ['run/master.pid'])
  const logPath = join(dir, 'dovecot.log')
  const masterPid = (): number | undefined => readPidFile(join(dir, 'run', 'master.pid'))
  const tail = (): Promise<string> => logTail(logPath)
  let stopping: Promise<void> | undefined

  const killAll = (): void => {
    const pid = masterPid()
    if (pid !== undefined) killGroup(pid)
  }

  const instance: DovecotInstance & { name: string; killAll(): void } = {
    name, dir, address, imapPort, lmtpPort, sievePort, users, killAll,
    authSocket: join(dir, 'run', 'auth-client'),
    maildirOf: (user) => join(dir, 'mail', user, 'Maildir'),
    async deliver(user, raw, deliverOpts = {}) {
      const rcpt = user.includes('@') ? user : `${user}@${IMAP_DOMAIN}`
      try {
        await lmtpDeliver({ host: address, port: lmtpPort, from: deliverOpts.from ?? 'sender@remote.test', recipients: [rcpt], raw })
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${await tail()}`, { cause: err })
      }
    },
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    stop(stopOpts = {}) {
      stopping ??= (async () => {
        untrack(instance)
        try {
          const pid = masterPid()
          if (pid !== undefined && isAlive(pid) && stopOpts.graceful) {
            signal(pid, 'SIGTERM')
            if (!(await waitForExit(pid, 10_000))) killGroup(pid)
          }
          killAll()
          if (pid !== undefined) await waitForExit(pid, 5000)
          for (const port of ports) await waitForPortFree(address, port, 10_000, { detail: tail })
        } finally {
          await removeServerDir(dir)
        }
      })()
      return stopping
    }
  }

  try {
    await writeDovecotConfig({ dir, address, imapPort, lmtpPort, sievePort, users, submissionHost: opts.submissionHost ?? '127.0.0.2:25' })
    track(instance)
    const started = await run('dovecot', ['-c', join(dir, 'dovecot.conf')], { outputFile: join(dir, 'start.out') })
    if (started.code !== 0) throw new Error(`${name}: dovecot failed to start (exit code ${started.code})\n${started.stdout}\n${await tail()}`)
    // The auth process connects to this socket when the first login starts it; finding none, it skips penalties.
    if (!opts.authPenalty) await rm(join(dir, 'run', 'anvil-auth-penalty'), { force: true })
    for (const port of ports) {
      await waitForPort(address, port, opts.startTimeoutMs ?? 10_000, { detail: async () => `${name} did not start\n${await tail()}` })
    }
  } catch (err) {
    await instance.stop().catch(() => undefined)
    throw err
  }
  return instance
}

interface DovecotConfig {
  dir: string
  address: string
  imapPort: number
  lmtpPort: number
  sievePort: number
  users: Record<string, string>
  submissionHost: string
}

async function writeDovecotConfig(c: DovecotConfig): Promise<void> {
  const d = c.dir
  await mkdir(join(d, 'mail'))
  await mkdir(join(d, 'run', 'state'), { recursive: true })
  await selfSignedCert(join(d, 'cert.pem'), join(d, 'key.pem'), IMAP_DOMAIN)
  const userLines = Object.entries(c.users).map(([user, pass]) => `${user}:{PLAIN}${pass}:${MAIL_UID}:${MAIL_UID}::${d}/mail/${user}\n`)
  await writeFile(join(d, 'users'), userLines.join(''))
  for (const user of Object.keys(c.users)) {
    await mkdir(join(d, 'mail', user))
    await chown(join(d, 'mail', user), MAIL_UID, MAIL_UID)
  }
  await chown(join(d, 'mail'), MAIL_UID, MAIL_UID)
  await writeFile(join(d, 'dovecot.conf'), `base_dir = ${d}/run
state_dir = ${d}/run/state
protocols = imap lmtp sieve
listen = ${c.address}
log_path = ${d}/dovecot.log
ssl = yes
ssl_cert = <${d}/cert.pem
ssl_key = <${d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
first_valid_uid = 1
submission_host = ${c.submissionHost}
postmaster_address = postmaster@${IMAP_DOMAIN}
hostname = ${IMAP_DOMAIN}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${d}/users
}
userdb {
  driver = passwd-file
  args = username_format=%n ${d}/users
}
service imap-login {
  inet_listener imap {
    port = ${c.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = ${c.address}
    port = ${c.lmtpPort}
  }
}
service managesieve-login {
  inet_listener sieve {
    port = ${c.sievePort}
  }
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
protocol lmtp {
  mail_plugins = sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_vacation_min_period = 0
  sieve_vacation_dont_check_recipient = yes
}
`)
}
