// `mailroom sendmail`: validates the message, commits it to the spool itself (no daemon needed), then nudges a running daemon.
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { localAddress } from '../config/identity'
import { loadConfig } from '../config/load'
import { pathsFor, resolveHome } from '../config/paths'
import { CONTROL_FLUSH_TIMEOUT_MS } from '../config/timeouts'
import { controlRequest } from '../ipc/control'
import { createLogger } from '../log/logger'
import { systemClock } from '../app/clock'
import { prepareMessage } from '../submission/prepare'
import { parseSendmailArgs, SENDMAIL_USAGE, type SendmailArgs } from './sendmail-args'
import { reportError } from './output'

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

export async function runSendmail(argv: readonly string[], program: string): Promise<number> {
  let args: SendmailArgs
  try {
    args = parseSendmailArgs(argv)
  } catch (error) {
    const code = reportError(program, error)
    process.stderr.write(SENDMAIL_USAGE + '\n')
    return code
  }
  for (const option of args.ignored) process.stderr.write(`${program}: warning: ignoring option ${option}\n`)
  switch (args.mode) {
    case 'print-queue':
      return (await import('./mailq')).runMailq([])
    case 'flush':
      return flushQueue(program, args.verbose)
    case 'verify':
    case 'init-aliases':
      throw new AppError('INVALID_ARGUMENT', `${args.mode === 'verify' ? '-bv' : '-bi/-I'} is not available yet in this version of Mailroom`)
    case 'deliver':
      return submit(program, args)
  }
}

async function submit(program: string, args: SendmailArgs): Promise<number> {
  const paths = pathsFor(resolveHome())
  const config = await loadConfig(paths.config)
  const raw = await readStdin()
  const now = systemClock.now()
  const prepared = prepareMessage(raw, {
    hostname: config.hostname,
    sender: args.sender ?? localAddress(config),
    recipients: args.recipients,
    extractRecipients: args.extractRecipients,
    ignoreDots: args.ignoreDots,
    ...(args.fullName !== undefined ? { fullName: args.fullName } : {}),
    now
  })
  for (const warning of prepared.warnings) process.stderr.write(`${program}: warning: ${warning}\n`)
  const log = createLogger({ file: paths.maillog, stderr: args.verbose })
  const { Spool } = await import('../queue/spool')
  const spool = await Spool.open(paths.spool, { clock: systemClock, log, recover: false })
  const envelope = await spool.enqueue({
    data: prepared.data,
    sender: prepared.sender,
    recipients: prepared.recipients.map((address) => ({ address })),
    origin: 'cli',
    messageId: prepared.messageId,
    subject: prepared.subject
  })
  log.info('pickup', `${envelope.id}: uid=${process.getuid?.() ?? '?'} from=<${prepared.sender}> nrcpt=${prepared.recipients.length} size=${prepared.data.length}`)
  if (args.verbose) process.stderr.write(`${program}: queued as ${envelope.id}\n`)
  // The message is durable now; telling a running daemon is a courtesy, its absence is not an error.
  await controlRequest(paths.controlSocket, 'kick', 1000).catch(() => null)
  return EX.OK
}

async function flushQueue(program: string, verbose: boolean): Promise<number> {
  const { createApp } = await import('../app/container')
  const app = await createApp({ mode: 'cli', logToStderr: verbose })
  try {
    if (await app.queue.becomeRunner()) {
      const summary = await app.queue.flush()
      if (verbose) process.stderr.write(`${program}: ${JSON.stringify(summary)}\n`)
      return EX.OK
    }
    const reply = await controlRequest(app.paths.controlSocket, 'flush', CONTROL_FLUSH_TIMEOUT_MS)
    if (reply === null) throw new AppError('QUEUE_BUSY', 'another process holds the queue-runner lock but does not answer on the control socket; try again shortly')
    if (!reply.ok) throw new AppError('QUEUE_BUSY', `the running Mailroom process could not run the queue: ${reply.error}`)
    if (verbose) process.stderr.write(`${program}: ${JSON.stringify(reply.value)}\n`)
    return EX.OK
  } finally {
    await app.close()
  }
}
