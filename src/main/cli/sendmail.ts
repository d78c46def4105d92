// `mailroom sendmail`: validates the message, commits it to the spool itself (no daemon needed), then nudges a running daemon.
// This is the hot path of every cron job and script: it imports only what submitting needs; every other mode loads its code on demand.
import { readFileSync } from 'node:fs'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { localAddress } from '../config/identity'
import { pathsFor, resolveHome, type Paths } from '../config/paths'
import { CONTROL_FLUSH_TIMEOUT_MS } from '../config/timeouts'
import { createLogger } from '../log/logger'
import { systemClock } from '../app/clock'
import { prepareMessage } from '../submission/prepare'
import { loadSubmitConfig } from './config-cache'
import { parseSendmailArgs, SENDMAIL_USAGE, type SendmailArgs, type SendmailMode } from './sendmail-args'
import { reportError } from './output'
import { kickDaemon } from './kick'
import { readStdin } from './stdin'

/** The login's full name from the passwd GECOS field, as Postfix's sendmail takes it when neither -F nor NAME is given. */
function gecosName(): string | undefined {
  const uid = process.getuid?.()
  if (uid === undefined) return undefined
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const fields = line.split(':')
      if (fields[2] === String(uid)) {
        const name = (fields[4] ?? '').split(',')[0]?.trim() ?? ''
        return name === '' ? undefined : name
      }
    }
  } catch {
    // no passwd file (other systems): no full name
  }
  return undefined
}

export async function runSendmail(argv: readonly string[], program: string, initialMode: SendmailMode = 'deliver'): Promise<number> {
  let args: SendmailArgs
  try {
    args = parseSendmailArgs(argv, initialMode)
  } catch (error) {
    const code = reportError(program, error)
    process.stderr.write(SENDMAIL_USAGE + '\n')
    return code
  }
  for (const warning of args.warnings) process.stderr.write(`${program}: warning: ${warning}\n`)
  if (args.verbose > 0) for (const option of args.ignored) process.stderr.write(`${program}: ${option} option ignored\n`)
  const paths = pathsFor(resolveHome())
  switch (args.mode) {
    case 'ignore':
      if (args.verbose > 0) process.stderr.write(`${program}: nothing to do: ${args.ignoreReason ?? ''}\n`)
      return EX.OK
    case 'print-queue':
      return (await import('./mailq')).runMailq([])
    case 'flush':
      return flushQueue(program, args.verbose > 0)
    case 'verify':
      return (await import('./verify')).runVerify(paths, args.recipients, { explain: args.verbose > 0, program })
    case 'init-aliases':
      return (await import('./newaliases')).runNewaliases(program, args.verbose > 0)
    case 'deliver':
      if (args.flushId !== undefined) return (await import('./queue-ops')).runQueueCommand(['retry', args.flushId], program)
      return submit(program, args, paths)
  }
}

async function submit(program: string, args: SendmailArgs, paths: Paths): Promise<number> {
  const config = await loadSubmitConfig(paths)
  const raw = await readStdin()
  const now = systemClock.now()
  const fullName = args.fullName ?? process.env.NAME ?? gecosName()
  const prepared = prepareMessage(raw, {
    hostname: config.hostname,
    sender: args.sender ?? localAddress(config),
    recipients: args.recipients,
    extractRecipients: args.extractRecipients,
    ignoreDots: args.ignoreDots,
    ...(fullName !== undefined ? { fullName } : {}),
    now
  })
  for (const warning of prepared.warnings) process.stderr.write(`${program}: warning: ${warning}\n`)
  const log = createLogger({ file: paths.maillog, stderr: args.verbose > 1 })
  const { Spool } = await import('../queue/spool')
  // `limits` is the spool's back-pressure option (queue.maxMessages, maxBytes, minFreeDisk); passed as a variable so this
  // file also builds against a Spool that predates it.
  const spoolOptions = { clock: systemClock, log, recover: false, limits: config.queue }
  const spool = await Spool.open(paths.spool, spoolOptions)
  const dsn = Object.keys(args.dsn).length > 0 ? { dsn: args.dsn } : {}
  const envelope = await spool.enqueue({
    data: prepared.data,
    sender: prepared.sender,
    recipients: prepared.recipients.map((address) => ({ address })),
    origin: 'cli',
    messageId: prepared.messageId,
    subject: prepared.subject,
    ...dsn
  })
  log.info('pickup', `${envelope.id}: uid=${process.getuid?.() ?? '?'} from=<${prepared.sender}> nrcpt=${prepared.recipients.length} size=${prepared.data.length}`)
  if (args.verbose > 0) process.stderr.write(`${program}: queued as ${envelope.id} for ${prepared.recipients.join(', ')}\n`)
  // The message is durable now; telling a running daemon is a courtesy, its absence is not an error.
  await kickDaemon(paths.controlSocket)
  return EX.OK
}

async function flushQueue(program: string, verbose: boolean): Promise<number> {
  const { createApp } = await import('../app/container')
  const { controlRequest } = await import('../ipc/control')
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
