// One message for one domain on an open session: capability checks, wire addresses, DSN parameters, 452 continuation.
//
// Before MAIL FROM: the message must fit the server (SIZE, 8BITMIME, SMTPUTF8; esmtp.ts); recipients whose address
// needs SMTPUTF8 the server lacks fail alone. Internationalised domains go out as A-labels. When the server answers
// some RCPTs with "452 4.5.3 too many recipients" after accepting others, those go in a new transaction on the same
// connection (RFC 5321 §4.5.3.1.10; Postfix does the same), until all are answered or no progress is made.
import type { Logger } from '../log/logger'
import { asciiAddress, isTooManyRecipients, messageProblem, recipientProblem, type FitProblem } from './esmtp'
import type { SmtpSession, TransactionResult } from './smtp'
import type { DeliveryRequest, RecipientOutcome } from './types'

/** Transactions per message and connection when a server keeps answering 452 too many recipients. */
export const MAX_CONTINUATIONS = 50

function problemOutcome(recipient: string, problem: FitProblem, relay: string): RecipientOutcome {
  return { recipient, status: problem.status, reply: { enhanced: problem.enhanced, text: problem.text, host: relay, human: problem.human } }
}

/**
 * Sends `recipients` (all of one domain) on `session`. The result speaks of the original recipient strings.
 * 'no-transaction' only when nothing at all was decided (the caller may try another address).
 */
export async function deliverOnSession(session: SmtpSession, domain: string, recipients: string[], request: DeliveryRequest, log: Logger): Promise<TransactionResult> {
  const fit = { extensions: session.extensions, domain, relay: session.relay }
  const whole = messageProblem({ ...fit, sender: request.sender, data: request.data })
  if (whole !== null) {
    log.info('smtp', `${request.queueId}: ${whole.text}`)
    return { kind: 'answered', retryElsewhere: false, outcomes: recipients.map((r) => problemOutcome(r, whole, session.relay)) }
  }
  const decided = new Map<string, RecipientOutcome>()
  const utf8 = session.extensions.has('SMTPUTF8')
  const wireOf = (address: string): string => (utf8 ? address : asciiAddress(address) ?? address)
  let pending: string[] = []
  for (const recipient of recipients) {
    const problem = recipientProblem(recipient, fit)
    if (problem === null) pending.push(recipient)
    else decided.set(recipient, problemOutcome(recipient, problem, session.relay))
  }
  let retryElsewhere = false
  for (let round = 0; pending.length > 0 && round < MAX_CONTINUATIONS; round++) {
    const byWire = new Map(pending.map((r) => [wireOf(r), r]))
    const originals: Record<string, string> = {}
    for (const [wire, recipient] of byWire) {
      const original = request.originals?.[recipient]
      if (original !== undefined) originals[wire] = original
    }
    const result = await session.send({
      from: wireOf(request.sender),
      to: [...byWire.keys()],
      ...(request.dsn !== undefined ? { dsn: request.dsn } : {}),
      ...(request.originals !== undefined ? { originals } : {})
    }, request.data)
    if (result.kind === 'no-transaction') {
      if (decided.size === 0) return result
      // A continuation lost its connection: those recipients were not sent; the ones before stand.
      for (const recipient of pending) decided.set(recipient, { recipient, status: 'deferred', reply: result.failure.reply })
      break
    }
    retryElsewhere = result.retryElsewhere
    const outcomes = result.outcomes.map((o) => ({ ...o, recipient: byWire.get(o.recipient) ?? o.recipient }))
    const progress = outcomes.some((o) => o.status === 'sent')
    const tooMany = progress && !result.retryElsewhere ? outcomes.filter((o) => o.status === 'deferred' && isTooManyRecipients(o.reply.code, o.reply.text)) : []
    for (const outcome of outcomes) if (!tooMany.includes(outcome)) decided.set(outcome.recipient, outcome)
    pending = tooMany.map((o) => o.recipient)
    if (pending.length > 0) {
      log.info('smtp', `${request.queueId}: ${session.relay} accepts fewer recipients per message; sending ${pending.length} more in a new transaction`)
      // If the rounds run out, the last 452 stands for those left: deferred, retried later.
      for (const outcome of tooMany) decided.set(outcome.recipient, outcome)
    }
  }
  return { kind: 'answered', retryElsewhere, outcomes: recipients.map((r) => decided.get(r) ?? { recipient: r, status: 'deferred', reply: { enhanced: '4.3.0', text: 'no outcome', human: 'Delivery produced no result for this recipient.' } }) }
}
