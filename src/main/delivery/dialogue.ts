// Follows one SMTP dialogue from nodemailer's transaction log: the phase we are waiting in, each RCPT's reply, and the 354.
//
// nodemailer reports a lost connection as "ECONNECTION, command CONN" whatever it was waiting for, and an error
// at the end of DATA without the RCPT replies that came before. Pairing each command with its reply (replies come
// in command order, with or without PIPELINING) tells us both: whether the message had gone out (the duplicate
// window) and which recipients the server had already refused.
import type { SmtpPhase } from './classify'

type Step = SmtpPhase | 'other'

interface Pending {
  step: Step
  /** The address of a RCPT TO. */
  recipient?: string
}

function stepOf(command: string): Step {
  switch (command.split(' ')[0]?.toUpperCase()) {
    case 'EHLO': case 'HELO': case 'LHLO': return 'ehlo'
    case 'STARTTLS': return 'starttls'
    case 'AUTH': return 'auth'
    case 'MAIL': return 'mail'
    case 'RCPT': return 'rcpt'
    case 'DATA': return 'data'
    default: return 'other'
  }
}

export class Dialogue {
  private pending: Pending[] = []
  private idle: SmtpPhase = 'connect'
  /** MAIL FROM got a 2xx. */
  mailAccepted = false
  /** DATA got its 354: the message is being (or has been) sent. */
  dataStarted = false
  /** Reply to each RCPT TO of the current transaction, by address. */
  readonly rcptReplies = new Map<string, string>()
  /** The extensions of the last EHLO reply (upper case keyword → its parameters, e.g. SIZE → '10240000'). */
  readonly extensions = new Map<string, string>()
  /** STARTTLS got its 220 and the handshake has not finished: a failure now is a TLS handshake failure. */
  tlsPending = false

  /** dataStarted: the 354 came (the verdict may take long); dataAnswered: the verdict on the message came. */
  constructor(private readonly hooks: { dataStarted?: () => void; dataAnswered?: () => void } = {}) {}

  /** The phase whose reply we are waiting for (the oldest unanswered command), or the one we are in. */
  get phase(): SmtpPhase {
    const waiting = this.pending[0]?.step
    return waiting === undefined || waiting === 'other' ? this.idle : waiting
  }

  /** The TCP connection is up; the greeting is next. */
  connected(): void {
    this.pending = [{ step: 'greeting' }]
    this.idle = 'greeting'
  }

  client(command: string): void {
    const step = stepOf(command)
    this.tlsPending = false // the first command after STARTTLS goes out over the finished handshake
    if (step === 'mail') {
      this.mailAccepted = false
      this.dataStarted = false
      this.rcptReplies.clear()
    }
    const address = step === 'rcpt' ? /<([^>]*)>/.exec(command)?.[1] : undefined
    this.pending.push(address === undefined ? { step } : { step, recipient: address })
  }

  server(reply: string): void {
    const answered = this.pending.shift()
    if (answered === undefined) {
      // No command waiting: after a 354 this is the verdict on the message itself.
      if (this.idle === 'dot') this.hooks.dataAnswered?.()
      return
    }
    const ok = reply.startsWith('2')
    if (answered.step !== 'other') this.idle = answered.step
    if (answered.step === 'mail') this.mailAccepted = ok
    if (answered.step === 'rcpt' && answered.recipient !== undefined) this.rcptReplies.set(answered.recipient, reply)
    if (answered.step === 'starttls' && ok) {
      this.idle = 'starttls' // the TLS handshake comes next
      this.tlsPending = true
    }
    if (answered.step === 'ehlo' && ok) this.readExtensions(reply)
    if (answered.step === 'data' && reply.startsWith('354')) {
      this.dataStarted = true
      this.idle = 'dot' // the data goes out at once; the next reply is the verdict on the message
      this.hooks.dataStarted?.()
    }
  }

  /** EHLO's reply lines after the first ("250-PIPELINING", "250 SIZE 10240000"); a HELO reply leaves none. */
  private readExtensions(reply: string): void {
    this.extensions.clear()
    for (const line of reply.split(/\r?\n/).slice(1)) {
      const [keyword, ...params] = line.replace(/^\d{3}[ -]?/, '').trim().split(/\s+/)
      if (keyword !== undefined && keyword !== '') this.extensions.set(keyword.toUpperCase(), params.join(' '))
    }
  }
}
