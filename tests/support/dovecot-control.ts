// Crash and restart a running test Dovecot while keeping its mail (DovecotInstance.stop() throws the directory away).
import { appendFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { DovecotInstance } from './dovecot'
import { waitForPort, waitForPortFree } from './ports'
import { killGroup, pollUntil, processesUnder, readPidFile, run, signal, waitForExit } from './proc'

/** SIGKILLs the master's process group (a crash: open sessions just drop) and waits until the ports are free. */
export async function killDovecot(dovecot: DovecotInstance): Promise<void> {
  const pid = readPidFile(join(dovecot.dir, 'run', 'master.pid'))
  if (pid === undefined) throw new Error(`no master.pid in ${dovecot.dir}/run`)
  killGroup(pid)
  await waitForExit(pid, 5000)
  // Children die a moment after the master; one still alive keeps its socket (a restart then fails "Socket already exists").
  await pollUntil(() => {
    const left = processesUnder(dovecot.dir)
    for (const straggler of left) signal(straggler, 'SIGKILL')
    return left.length === 0
  }, 5000, () => `dovecot processes under ${dovecot.dir} outlived SIGKILL: ${processesUnder(dovecot.dir).join(', ')}`)
  for (const port of [dovecot.imapPort, dovecot.lmtpPort, dovecot.sievePort]) await waitForPortFree(dovecot.address, port, 10_000)
}

/** Starts the same instance again (same config, ports and mail) after killDovecot(). */
export async function restartDovecot(dovecot: DovecotInstance): Promise<void> {
  await rm(join(dovecot.dir, 'run', 'master.pid'), { force: true })
  const started = await run('dovecot', ['-c', join(dovecot.dir, 'dovecot.conf')], { outputFile: join(dovecot.dir, 'restart.out') })
  if (started.code !== 0) throw new Error(`dovecot failed to restart (exit code ${started.code})\n${started.stdout}\n${await dovecot.log()}`)
  // As at the first start: no auth penalty (failed logins elsewhere in the suite must not slow the next one).
  await rm(join(dovecot.dir, 'run', 'anvil-auth-penalty'), { force: true })
  for (const port of [dovecot.imapPort, dovecot.lmtpPort, dovecot.sievePort]) await waitForPort(dovecot.address, port, 10_000)
}

/** Gives every user a mailbox `name` marked \Sent (RFC 6154 SPECIAL-USE, auto-created), then restarts the instance. */
export async function addSentSpecialUse(dovecot: DovecotInstance, name: string): Promise<void> {
  const conf = join(dovecot.dir, 'dovecot.conf')
  await appendFile(conf, `namespace inbox {\n  inbox = yes\n  mailbox "${name}" {\n    special_use = \\Sent\n    auto = subscribe\n  }\n}\n`)
  await killDovecot(dovecot)
  await restartDovecot(dovecot)
}
