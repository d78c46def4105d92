// scratch timing (temporary)
import { test } from 'vitest'
import { spawn } from 'node:child_process'
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'
import { stopAll } from '../../support/cleanup'
import { startPostfix } from '../../support/postfix'
import { childPids, commandLine, sleep } from '../../support/proc'
async function send(to: string): Promise<unknown> {
  const conn = new SMTPConnection({ host: '127.0.0.2', port: 25, ignoreTLS: true, logger: false })
  await new Promise<void>((resolve, reject) => { conn.once('error', reject); conn.connect((err) => (err ? reject(err) : resolve())) })
  try {
    return await new Promise((resolve) => conn.send({ from: 'a@b.test', to: [to] }, 'Subject: x\r\n\r\nhi\r\n', (err, info) => resolve(err ? `ERR ${err.message}` : info?.response)))
  } finally { conn.quit() }
}
test('timing', async () => {
  for (let round = 0; round < 6; round++) {
  let t = Date.now()
  const lap = (what: string) => { const n = Date.now(); process.stderr.write(`${what}: ${n - t} ms\n`); t = n }
  const p = await startPostfix({ access: { 'later@remote.test': '450 4.2.0 try again later' } })
  await send('x@remote.test')
  await send('later@remote.test')
  const m = Number((await import('node:fs')).readFileSync(p.dir + '/spool/pid/master.pid', 'utf8').trim())
  const smtpds = childPids(m).filter((c) => commandLine(c).startsWith('smtpd'))

  process.stderr.write(`smtpds ${smtpds} at ${new Date().toISOString()}\n`)
  await p.setAccess({ 'gone@remote.test': '550 5.1.1 no such user' }); lap(`setAccess round ${round}`)
  await stopAll()
  }
})
