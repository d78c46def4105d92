// `mailroom daemon` as the queue runner: a CLI submission is delivered at once (control-socket nudge), `sendmail -q` is delegated to it, one runner only.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { stopAll } from '../../support/cleanup'
import type { DnsInstance } from '../../support/dnsmasq'
import { BIN, makeHome, removeHome, requireBuild, runCli } from '../../support/mailroom'
import type { PostfixInstance } from '../../support/postfix'
import { describeWithServers } from '../../support/requirements'
import { startRemoteMx } from '../../support/world'

function startDaemon(home: string): Promise<{ child: ChildProcess; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'daemon'], { env: { ...process.env, MAILROOM_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${stderr}`)), 20_000)
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (stderr.includes('mailroom daemon: running')) {
        clearTimeout(timer)
        resolve({
          child,
          stop: () => new Promise((done) => {
            child.once('exit', (code) => done(code))
            child.kill('SIGTERM')
          })
        })
      }
    })
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${stderr}`)))
  })
}

describeWithServers('mailroom daemon runs the queue', ['root', 'postfix', 'dnsmasq'], () => {
  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string

  beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx({ 'later@remote.test': '450 4.2.0 try again later' }))
    home = await makeHome({ dnsServer: dns.server })
  })
  afterAll(async () => {
    await stopAll()
    await removeHome(home)
  })

  it('delivers CLI mail without -q, refuses a second runner, takes -q through the control socket, and stops cleanly', async () => {
    const daemon = await startDaemon(home)
    try {
      const second = await runCli(home, ['daemon'])
      expect(second.code).toBe(75)
      expect(second.stderr).toContain('already runs this queue')

      const sent = await runCli(home, ['sendmail', '-t', '-i'], 'To: bob@remote.test, later@remote.test\nSubject: via daemon\n\nhello\n')
      expect(sent.code).toBe(0)
      const [delivered] = await postfix.waitForMessages(1)
      expect(delivered?.raw).toMatch(/^Delivered-To: bob@remote\.test$/m)

      const attempts = async (): Promise<number | undefined> => {
        const queue = JSON.parse((await runCli(home, ['mailq', '--json'])).stdout) as Array<{ recipients: Array<{ address: string; attempts: number }> }>
        return queue[0]?.recipients.find((r) => r.address === 'later@remote.test')?.attempts
      }
      for (let i = 0; i < 50 && (await attempts()) !== 1; i++) await new Promise((r) => setTimeout(r, 200))
      expect(await attempts()).toBe(1)

      const flushed = await runCli(home, ['sendmail', '-q'])
      expect(flushed.code).toBe(0)
      expect(await attempts()).toBe(2)
    } finally {
      expect(await daemon.stop()).toBe(0)
    }
    expect(existsSync(join(home, 'run', 'mailroom.sock'))).toBe(false)
    expect(existsSync(join(home, 'run', 'queue.lock'))).toBe(false)
    // With the daemon gone, -q runs the queue itself.
    expect((await runCli(home, ['sendmail', '-q'])).code).toBe(0)
    expect(await (async () => {
      const queue = JSON.parse((await runCli(home, ['mailq', '--json'])).stdout) as Array<{ recipients: Array<{ attempts: number; state: string }> }>
      return queue[0]?.recipients.find((r) => r.state === 'deferred')?.attempts
    })()).toBe(3)
  })
})
