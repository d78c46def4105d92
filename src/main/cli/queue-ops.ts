// `mailroom queue hold|release|freeze|thaw|retry|delete|undo|edit-recipients|status`: steer queued messages from the shell.
// A running daemon/app does the work (control socket), so its view and events stay right; with none running, the CLI opens the queue itself.
import type { OutboxMessage, QueueStatus } from '../../shared/contract'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { pathsFor, resolveHome } from '../config/paths'
import { CONTROL_REQUEST_TIMEOUT_MS } from '../config/timeouts'
import { controlRequest, runQueueOp, type ControlRequest, type QueueOpName } from '../ipc/control'
import { reportError } from './output'

export const QUEUE_USAGE = `usage: mailroom queue hold|release|freeze|thaw|retry|undo ID...
       mailroom queue delete [--notify] ID...     (--notify: tell the sender with a delivery status notification)
       mailroom queue edit-recipients ID ADDRESS...   (held messages only; the list replaces the recipients)
       mailroom queue status [--json]`

const VERBS: Record<string, { op: QueueOpName; done: string }> = {
  hold: { op: 'hold', done: 'held' },
  release: { op: 'release', done: 'released' },
  freeze: { op: 'freeze', done: 'frozen' },
  thaw: { op: 'thaw', done: 'thawed' },
  retry: { op: 'retryNow', done: 'will be tried now' },
  delete: { op: 'remove', done: 'deleted' },
  undo: { op: 'undo', done: 'sending undone, removed from the queue' },
  'edit-recipients': { op: 'editRecipients', done: 'recipients replaced' }
}

/** Where the operations run: a live daemon/app over the socket, else this process (opened once, closed at the end). */
export interface QueueOpRunner {
  run(request: ControlRequest): Promise<unknown>
  /** True when a daemon/app did the work. */
  readonly remote: boolean
  close(): Promise<void>
}

/** A daemon that predates queue operations answers `{pid}` to any command it does not know; never take that for success. */
function plausibleReply(op: QueueOpName, value: unknown): boolean {
  const object = typeof value === 'object' && value !== null
  if (object && 'pid' in value) return false
  if (op === 'status') return object && 'messages' in value
  if (op === 'remove' || op === 'undo') return true
  return object && typeof (value as { id?: unknown }).id === 'string'
}

export async function openQueueOpRunner(home = resolveHome()): Promise<QueueOpRunner> {
  const paths = pathsFor(home)
  const ping = await controlRequest(paths.controlSocket, 'ping', CONTROL_REQUEST_TIMEOUT_MS).catch(() => null)
  if (ping !== null && ping.ok) {
    return {
      remote: true,
      async run(request) {
        const reply = await controlRequest(paths.controlSocket, 'op', CONTROL_REQUEST_TIMEOUT_MS, { op: request.op, args: request.args })
        if (reply === null) throw new AppError('QUEUE_BUSY', 'the running Mailroom process went away during the operation; try again')
        if (!reply.ok) throw new AppError(reply.code ?? 'INTERNAL', reply.error)
        if (!plausibleReply(request.op as QueueOpName, reply.value)) {
          throw new AppError('INVALID_STATE', 'the running Mailroom process does not know queue operations yet: restart it (mailroom daemon, or the app) and try again')
        }
        return reply.value
      },
      close: async () => undefined
    }
  }
  const { createApp } = await import('../app/container')
  const app = await createApp({ mode: 'cli', home })
  return {
    remote: false,
    run: (request) => runQueueOp(app.queue, request),
    close: () => app.close()
  }
}

function describeStatus(status: QueueStatus): string {
  const lines = [
    `messages: ${status.messages} (${status.queued} queued, ${status.deferred} deferred, ${status.hold} on hold, ${status.corrupt} corrupt)`,
    `size: ${Math.floor(status.bytes / 1024)} Kbytes`,
    `limits: ${status.limits.maxMessages} messages, ${Math.floor(status.limits.maxBytes / 1024 / 1024)} Mbytes, ${Math.floor(status.limits.minFreeDisk / 1024 / 1024)} Mbytes free disk`,
    `accepting: ${status.refusing === null ? 'yes' : `no (${status.refusing})`}`,
    `network: ${status.offline ? 'offline (delivery waits for the network)' : 'online'}`
  ]
  return lines.join('\n') + '\n'
}

export async function runQueueCommand(argv: readonly string[], program = 'mailroom queue', home?: string): Promise<number> {
  const [verb, ...rest] = argv
  if (verb === undefined || verb === 'help' || verb === '--help') {
    ;(verb === undefined ? process.stderr : process.stdout).write(QUEUE_USAGE + '\n')
    return verb === undefined ? EX.USAGE : EX.OK
  }
  if (verb === 'status') {
    const json = rest.includes('--json')
    const unknown = rest.filter((a) => a !== '--json')
    if (unknown.length > 0) throw new AppError('INVALID_ARGUMENT', `unknown option ${unknown[0] as string}\n${QUEUE_USAGE}`)
    const runner = await openQueueOpRunner(home)
    try {
      const status = (await runner.run({ command: 'op', op: 'status', args: [] })) as QueueStatus
      process.stdout.write(json ? JSON.stringify(status, null, 2) + '\n' : describeStatus(status))
      return EX.OK
    } finally {
      await runner.close()
    }
  }
  const verbInfo = VERBS[verb]
  if (verbInfo === undefined) throw new AppError('INVALID_ARGUMENT', `unknown queue operation "${verb}"\n${QUEUE_USAGE}`)
  const notify = rest.includes('--notify')
  const words = rest.filter((a) => a !== '--notify')
  if (notify && verbInfo.op !== 'remove') throw new AppError('INVALID_ARGUMENT', `--notify only goes with delete\n${QUEUE_USAGE}`)
  const option = words.find((w) => w.startsWith('-'))
  if (option !== undefined) throw new AppError('INVALID_ARGUMENT', `unknown option ${option}\n${QUEUE_USAGE}`)
  if (words.length === 0) throw new AppError('INVALID_ARGUMENT', `${verb}: name the message (its queue id, as mailq shows it)\n${QUEUE_USAGE}`)

  const requests: ControlRequest[] = verbInfo.op === 'editRecipients'
    ? [{ command: 'op', op: 'editRecipients', args: [words[0], words.slice(1).flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '')] }]
    : words.map((id) => ({ command: 'op', op: verbInfo.op, args: verbInfo.op === 'remove' ? [id, { notifySender: notify }] : [id] }))
  if (verbInfo.op === 'editRecipients' && (requests[0]?.args?.[1] as string[]).length === 0) {
    throw new AppError('INVALID_ARGUMENT', `edit-recipients: give the new recipient addresses after the id\n${QUEUE_USAGE}`)
  }

  const runner = await openQueueOpRunner(home)
  let exit: number = EX.OK
  try {
    for (const request of requests) {
      const id = request.args?.[0] as string
      try {
        const value = await runner.run(request)
        const message = typeof value === 'object' && value !== null && 'recipients' in value ? (value as OutboxMessage) : null
        const detail = message !== null && verbInfo.op === 'editRecipients' ? `: ${message.recipients.map((r) => r.address).join(', ')}` : ''
        process.stdout.write(`${id}: ${verbInfo.done}${detail}\n`)
      } catch (error) {
        const code = reportError(program, error)
        if (exit === EX.OK) exit = code
      }
    }
    if (!runner.remote && verbInfo.op === 'retryNow' && exit === EX.OK) {
      process.stderr.write(`${program}: no Mailroom daemon or app is running: the message goes out at the next queue run (mailroom sendmail -q, or start mailroom daemon)\n`)
    }
  } finally {
    await runner.close()
  }
  return exit
}
