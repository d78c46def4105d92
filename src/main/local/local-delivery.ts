// The local delivery agent: expand each local recipient (aliases, .forward), check for loops, deliver every target, one outcome per recipient.
//
// Like Postfix local(8), an original recipient is one delivery: all targets delivered → sent; any target or expansion
// problem that is temporary → deferred (the targets already delivered are recorded and skipped on the retry); else any
// permanent problem → failed (bounce), the other targets having been delivered. See docs/local-delivery.md.
import type { Config } from '../config/schema'
import type { DeliveryRequest, RecipientOutcome } from '../delivery/types'
import type { Logger } from '../log/logger'
import type { EnqueueInput } from '../queue/submission'
import { memoryDeliveredRecords, type DeliveredRecords } from './delivered-record'
import type { DeliveryTarget, ExpandedTarget, Expander } from './expansion-types'
import { checkLoops, headerFields } from './loops'
import { traceHeaders, type MaildirWriter } from './maildir'
import { appendMbox } from './mbox'
import { programResult, runProgram, type ProgramExit, type ProgramRequest, type ProgramUser } from './program'
import { targetFailure, toUnixText, type TargetResult } from './target-result'

/** `host` of outcomes delivered locally (the maillog's relay=local). */
export const LOCAL_RELAY = 'local'

export interface LocalDeliveryOptions {
  config: Pick<Config, 'hostname' | 'local'>
  expander: Expander
  maildir: Pick<MaildirWriter, 'deliver'>
  log: Logger
  /** The user a program or file target runs for (home, uid); unknown names run with Mailroom's own rights, cwd /. */
  findUser: (name: string) => ProgramUser | undefined
  /** MAILROOM_HOME, passed to programs. */
  mailroomHome: string
  /** Queues a forwarded copy (remote targets); without it remote targets are deferred. */
  enqueue?: (input: EnqueueInput) => Promise<unknown>
  /** Targets already delivered in earlier attempts; default in memory. */
  records?: DeliveredRecords
  /** Mailbox errors → outcome (the router's classifier). */
  classifyMailboxError: (error: unknown, recipient: string) => { status: RecipientOutcome['status']; enhanced: string; human: string }
  runProgram?: (request: ProgramRequest) => Promise<ProgramExit>
  appendMbox?: typeof appendMbox
}

export interface LocalDelivery {
  /** Delivers the message to these local recipients (in this order); never throws. */
  deliver(request: DeliveryRequest, recipients: readonly string[]): Promise<RecipientOutcome[]>
}

interface Done { key: string; what: string; result: TargetResult }

/** A stable key of a target (the expander's dedupe key; also the record of what was delivered). */
export function targetKey(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'mailbox': return `mailbox:${target.user}`
    case 'program': return `program:${target.user}:${target.command}`
    case 'file': return `file:${target.path}`
    case 'remote': return `remote:${target.address.toLowerCase()}`
  }
}

/** Words for a target in replies and logs. */
export function describeTarget(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'mailbox': return `the local mailbox of ${target.user}`
    case 'program': return `the program "|${target.command}"`
    case 'file': return `the file ${target.path}`
    case 'remote': return `${target.address} (forwarded)`
  }
}

export function createLocalDelivery(options: LocalDeliveryOptions): LocalDelivery {
  const { config, log } = options
  const records = options.records ?? memoryDeliveredRecords()
  const run = options.runProgram ?? runProgram
  const append = options.appendMbox ?? appendMbox
  const maxReceived = config.local?.maxReceived ?? 50

  /** `name` → `name@domain` (the recipient's domain; the host name for a bare recipient). */
  const qualifier = (recipient: string) => {
    const at = recipient.lastIndexOf('@')
    const domain = at < 0 ? config.hostname : recipient.slice(at + 1)
    return (name: string): string => (name.includes('@') ? name : `${name}@${domain}`)
  }

  async function deliverTarget(request: DeliveryRequest, expanded: ExpandedTarget, owner: string, recipient: string): Promise<TargetResult> {
    const { target } = expanded
    switch (target.kind) {
      case 'mailbox': {
        const deliveredTo = expanded.via.length === 0 ? qualifier(recipient)(recipient) : qualifier(recipient)(target.user)
        try {
          const path = await options.maildir.deliver(target.user, request.data, { returnPath: request.sender, deliveredTo })
          return { status: 'sent', text: `delivered to maildir of ${target.user}`, where: path }
        } catch (error) {
          const c = options.classifyMailboxError(error, expanded.via.length === 0 ? recipient : target.user)
          return { status: c.status === 'sent' ? 'deferred' : c.status, enhanced: c.enhanced, text: (error as Error).message, human: c.human }
        }
      }
      case 'file':
        return append(target.path, request.data, { sender: request.sender, deliveredTo: owner })
      case 'program': {
        const user = options.findUser(target.user) ?? { name: target.user, home: '/', uid: null }
        const input = Buffer.concat([traceHeaders({ returnPath: request.sender, deliveredTo: owner }, '\n'), toUnixText(request.data)])
        const exit = await run({
          command: target.command, user, sender: request.sender, recipient: owner, originalRecipient: recipient, input,
          timeoutMs: config.local?.programTimeout ?? 60_000, outputLimit: config.local?.programOutputLimit ?? 65_536, mailroomHome: options.mailroomHome
        })
        return programResult(target.command, exit)
      }
      case 'remote':
        throw new Error('remote targets are forwarded together')
    }
  }

  /** One new message for all remote targets of a recipient: same envelope sender, Delivered-To of the forwarding address. */
  async function forward(request: DeliveryRequest, addresses: string[], owner: string): Promise<TargetResult> {
    if (options.enqueue === undefined) {
      return targetFailure('4.3.5', 'forwarding to remote addresses is not available in this process', 'Mail for this address is forwarded elsewhere, but this Mailroom process cannot queue the forwarded copy; it is tried again later.')
    }
    const fields = headerFields(request.data)
    const field = (name: string): string | undefined => fields.find(([n]) => n === name)?.[1]
    try {
      await options.enqueue({
        data: Buffer.concat([traceHeaders({ deliveredTo: owner }), request.data]),
        sender: request.sender,
        recipients: addresses.map((address) => ({ address })),
        origin: 'local',
        messageId: field('message-id') ?? null,
        subject: field('subject') ?? '',
        ...(request.dsn === undefined ? {} : { dsn: request.dsn })
      })
      return { status: 'sent', text: `forwarded to ${addresses.join(', ')}` }
    } catch (error) {
      const temporary = (error as { temporary?: unknown }).temporary !== false
      return targetFailure(temporary ? '4.3.0' : '5.3.0', `cannot queue the forwarded copy: ${(error as Error).message}`, `The copy forwarded to ${addresses.join(', ')} could not be queued (${(error as Error).message}).`)
    }
  }

  async function deliverRecipient(request: DeliveryRequest, recipient: string, shared: Map<string, Promise<TargetResult>>): Promise<RecipientOutcome> {
    const qualify = qualifier(recipient)
    let expansion
    try {
      expansion = await options.expander.expand(recipient)
    } catch (error) {
      log.error('local', `${request.queueId}: expanding ${recipient} failed: ${(error as Error).stack ?? String(error)}`)
      return outcome(recipient, 'deferred', { enhanced: '4.3.0', text: `internal error expanding ${recipient}: ${(error as Error).message}`, human: 'An internal error interrupted local delivery; it is tried again later.' })
    }
    // Every address the message passes through here: a Delivered-To: for any of them means it came round before.
    const addresses = new Set([qualify(recipient).toLowerCase()])
    for (const { target, via } of expansion.targets) {
      for (const step of via) if (!step.from.startsWith(':include:')) addresses.add(qualify(step.from).toLowerCase())
      if (target.kind === 'mailbox') addresses.add(qualify(target.user).toLowerCase())
    }
    const loop = checkLoops(request.data, [...addresses], maxReceived)
    if (loop !== null) {
      log.warn('local', `${request.queueId}: ${recipient}: ${loop.text}`)
      return outcome(recipient, 'failed', loop)
    }

    const before = await records.load(request.queueId, recipient)
    const done: Done[] = []
    const remote: ExpandedTarget[] = []
    for (const expanded of expansion.targets) {
      const key = targetKey(expanded.target)
      const what = describeTarget(expanded.target)
      if (before.has(key)) { done.push({ key, what, result: { status: 'sent', text: `${what}: delivered in an earlier attempt` } }); continue }
      if (expanded.target.kind === 'remote') { remote.push(expanded); continue }
      const last = expanded.via[expanded.via.length - 1]
      const owner = qualify(last === undefined || last.from.startsWith(':include:') ? recipient : last.from)
      // The same target reached through two recipients of this message gets one copy (Postfix does the same).
      let pending = shared.get(key)
      if (pending === undefined) {
        pending = deliverTarget(request, expanded, owner, recipient).catch((error: unknown) =>
          targetFailure('4.3.0', `internal error: ${(error as Error).message}`, 'An internal error interrupted local delivery; it is tried again later.'))
        shared.set(key, pending)
      }
      const result = await pending
      done.push({ key, what, result })
      log.info('local', `${request.queueId}: ${recipient} → ${what}: ${result.status === 'sent' ? result.where ?? result.text : `${result.status} ${result.enhanced} ${result.text}`}`)
    }
    if (remote.length > 0) {
      const last = remote[0]?.via[remote[0].via.length - 1]
      const owner = qualify(last === undefined ? recipient : last.from)
      const result = await forward(request, remote.map((r) => (r.target as { address: string }).address), owner)
      for (const r of remote) done.push({ key: targetKey(r.target), what: describeTarget(r.target), result })
      log.info('local', `${request.queueId}: ${recipient} → ${remote.map((r) => describeTarget(r.target)).join(', ')}: ${result.status === 'sent' ? result.text : `${result.status} ${result.text}`}`)
    }
    const problems: TargetResult[] = expansion.problems.map((p) => targetFailure(p.permanent ? p.enhanced.replace(/^4/, '5') : p.enhanced.replace(/^5/, '4'), p.message, p.message))
    if (expansion.targets.length === 0 && problems.length === 0) {
      problems.push(targetFailure('5.3.0', `${recipient} expands to no destination`, `${recipient} leads nowhere: its alias or .forward names no destination.`))
    }
    return finish(request, recipient, done, problems, before)
  }

  async function finish(request: DeliveryRequest, recipient: string, done: Done[], problems: TargetResult[], before: ReadonlySet<string>): Promise<RecipientOutcome> {
    const failures = [...problems, ...done.map((d) => d.result)].filter((r): r is Exclude<TargetResult, { status: 'sent' }> => r.status !== 'sent')
    const delivered = done.filter((d) => d.result.status === 'sent')
    const status = failures.some((f) => f.status === 'deferred') ? 'deferred' : failures.length > 0 ? 'failed' : 'sent'
    try {
      if (status === 'deferred') {
        const keys = new Set(delivered.map((d) => d.key))
        if (keys.size > 0 || before.size > 0) await records.save(request.queueId, recipient, keys)
      } else if (before.size > 0) {
        await records.remove(request.queueId, recipient)
      }
    } catch (error) {
      // Not fatal: the retry may deliver those targets again (a duplicate, never a loss).
      log.warn('local', `${request.queueId}: ${recipient}: could not record the delivered targets: ${(error as Error).message}`)
    }
    const list = delivered.map((d) => d.what).join(', ')
    if (status === 'sent') {
      return outcome(recipient, 'sent', { enhanced: '2.0.0', text: delivered.map((d) => (d.result as { text: string }).text).join('; '), human: `Delivered to ${list}.` })
    }
    const first = failures.find((f) => f.status === status) ?? failures[0] as Exclude<TargetResult, { status: 'sent' }>
    const also = delivered.length === 0 ? '' : ` (Delivered to ${list}.)`
    return outcome(recipient, status, { enhanced: first.enhanced, text: failures.filter((f) => f.status === status).map((f) => f.text).join('; '), human: `${first.human}${also}` })
  }

  function outcome(recipient: string, status: RecipientOutcome['status'], reply: { enhanced: string; text: string; human: string }): RecipientOutcome {
    return { recipient, status, reply: { text: reply.text, enhanced: reply.enhanced, host: LOCAL_RELAY, human: reply.human } }
  }

  return {
    async deliver(request, recipients) {
      const shared = new Map<string, Promise<TargetResult>>()
      const outcomes: RecipientOutcome[] = []
      // One recipient after the other: targets shared by two recipients are delivered once, programs do not pile up.
      for (const recipient of recipients) outcomes.push(await deliverRecipient(request, recipient, shared))
      return outcomes
    }
  }
}
