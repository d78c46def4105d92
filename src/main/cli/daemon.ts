// `mailroom daemon`: the mail system without a user interface (queue runner and control socket) until SIGTERM/SIGINT.
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { waitForStopSignal } from './runtime'

export async function runDaemon(argv: readonly string[]): Promise<number> {
  const verbose = argv.includes('-v') || argv.includes('--verbose')
  const unknown = argv.filter((a) => a !== '-v' && a !== '--verbose')
  if (unknown.length > 0) throw new AppError('INVALID_ARGUMENT', `unknown option ${unknown[0] as string} (usage: mailroom daemon [-v])`)
  const { createApp } = await import('../app/container')
  const app = await createApp({ mode: 'daemon', logToStderr: verbose })
  if (!(await app.startRunner())) {
    await app.close()
    throw new AppError('QUEUE_BUSY', 'another Mailroom process (app or daemon) already runs this queue')
  }
  process.stderr.write(`mailroom daemon: running (pid ${process.pid}, data in ${app.paths.home})\n`)
  const where = app.listenerAddresses().map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`))
  if (where.length > 0) process.stderr.write(`mailroom daemon: SMTP listener on ${where.join(', ')}\n`)
  await waitForStopSignal()
  await app.close()
  return EX.OK
}
