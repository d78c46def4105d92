// `mailroom queue …` while a daemon runs: the operation travels over the control socket and the daemon does it
// (its pid is in the maillog line), errors keep their exit codes (66, 69) across the socket.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, makeHome, removeHome, requireBuild, runCli, spoolFiles } from '../../support/mailroom'

function startDaemon(home: string): Promise<{ child: ChildProcess; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'daemon'], { env: { ...process.env, MAILROOM_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${stderr}`)), 20_000)
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (!stderr.includes('mailroom daemon: running')) return
      clearTimeout(timer)
      resolve({ child, stop: () => new Promise((done) => { child.once('exit', (code) => done(code)); child.kill('SIGTERM') }) })
    })
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${stderr}`)))
  })
}

describe('mailroom queue operations through a running daemon', () => {
  let home: string
  let daemon: Awaited<ReturnType<typeof startDaemon>>
  let id: string

  beforeAll(async () => {
    requireBuild()
    // No DNS answers here: a message that got out of hold would only be deferred, never delivered.
    home = await makeHome({ dnsServer: '127.0.0.1:9' })
    const submitted = await runCli(home, ['sendmail', '-v', 'bob@remote.test'], 'Subject: via daemon\n\nbody\n')
    id = /queued as (\S+)/.exec(submitted.stderr)?.[1] as string
    // Held before the daemon starts, so its first queue run leaves it alone.
    expect((await runCli(home, ['queue', 'hold', id])).code).toBe(0)
    daemon = await startDaemon(home)
  })
  afterAll(async () => {
    await daemon?.stop()
    await removeHome(home)
  })

  it('edits recipients and reports status through the daemon', async () => {
    const edited = await runCli(home, ['queue', 'edit-recipients', id, 'carol@remote.test'])
    expect(edited).toMatchObject({ code: 0, stdout: `${id}: recipients replaced: carol@remote.test\n` })
    const status = JSON.parse((await runCli(home, ['queue', 'status', '--json'])).stdout) as { hold: number }
    expect(status.hold).toBe(1)
  })

  it('keeps the exit codes of errors raised in the daemon: 66 for an unknown id, 69 for a wrong state', async () => {
    const unknown = await runCli(home, ['queue', 'thaw', '0000000000NOSUCHID00'])
    expect(unknown.code).toBe(66)
    expect(unknown.stderr).toContain('0000000000NOSUCHID00')
    const undo = await runCli(home, ['queue', 'undo', id])
    expect(undo.code).toBe(69)
  })

  it('deletes the message in the daemon process (its pid in the maillog line)', async () => {
    expect((await runCli(home, ['queue', 'delete', id])).code).toBe(0)
    expect(await spoolFiles(home, 'hold')).toEqual([])
    const maillog = await readFile(join(home, 'log', 'maillog'), 'utf8')
    expect(maillog).toMatch(new RegExp(`\\[${daemon.child.pid}\\]: ${id}: deleted by the user`))
  })
})
