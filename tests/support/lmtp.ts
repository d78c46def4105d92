// Minimal LMTP client (RFC 2033) for seeding a test Dovecot with mail: LHLO, MAIL, RCPT, DATA with dot-stuffing.
import { connect, type Socket } from 'node:net'

export interface LmtpDelivery {
  host: string
  port: number
  from: string
  recipients: string[]
  /** RFC 5322 message; bare LF line ends become CRLF */
  raw: string | Buffer
  /** per reply, default 10 s */
  timeoutMs?: number
}

interface Reply {
  code: number
  text: string
}

/** Deliver one message; throws naming the step and the server's reply unless every step succeeds. */
export async function lmtpDeliver(d: LmtpDelivery): Promise<void> {
  const where = `LMTP ${d.host}:${d.port}`
  const socket = connect({ host: d.host, port: d.port })
  const reader = new ReplyReader(socket, where, d.timeoutMs ?? 10_000)
  const expect = async (step: string, code: number): Promise<Reply> => {
    const reply = await reader.next(step)
    if (reply.code !== code) throw new Error(`${where}: ${step} expected ${code}, got "${reply.text}"`)
    return reply
  }
  const command = async (line: string, code: number): Promise<Reply> => {
    socket.write(`${line}\r\n`)
    return expect(line, code)
  }
  try {
    await expect('greeting', 220)
    await command('LHLO mailroom.test', 250)
    await command(`MAIL FROM:<${d.from}>`, 250)
    for (const rcpt of d.recipients) await command(`RCPT TO:<${rcpt}>`, 250)
    await command('DATA', 354)
    socket.write(Buffer.concat([dotStuff(d.raw), Buffer.from('.\r\n')]))
    // LMTP answers the final dot once per accepted recipient.
    for (const rcpt of d.recipients) await expect(`delivery to ${rcpt}`, 250)
    await command('QUIT', 221)
  } finally {
    socket.destroy()
  }
}

/** CRLF line ends, a leading dot doubled on every line, and a final CRLF (bytes kept as they are). */
export function dotStuff(raw: string | Buffer): Buffer {
  let text = (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).toString('latin1')
  text = text.replace(/\r?\n/g, '\r\n').replace(/(^|\r\n)\./g, '$1..')
  if (!text.endsWith('\r\n')) text += '\r\n'
  return Buffer.from(text, 'latin1')
}

/** Splits the byte stream into SMTP-style replies ("250-…" continuation lines, "250 …" last line). */
class ReplyReader {
  private buffer = ''
  private lines: string[] = []
  private failure: Error | undefined
  private wake: (() => void) | undefined

  constructor(socket: Socket, private readonly where: string, private readonly timeoutMs: number) {
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      let end: number
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end))
        this.buffer = this.buffer.slice(end + 2)
      }
      this.notify()
    })
    socket.on('error', (err) => this.fail(new Error(`${where}: ${err.message}`)))
    socket.on('close', () => this.fail(new Error(`${where}: connection closed by the server`)))
  }

  async next(step: string): Promise<Reply> {
    const deadline = Date.now() + this.timeoutMs
    for (;;) {
      const reply = this.take()
      if (reply) return reply
      if (this.failure) throw new Error(`${this.failure.message} (waiting for the reply to ${step})`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.where}: no reply to ${step} within ${this.timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(timer); resolve() }
      })
    }
  }

  private take(): Reply | undefined {
    const last = this.lines.findIndex((line) => line.length < 4 || line[3] !== '-')
    if (last < 0) return undefined
    const replyLines = this.lines.splice(0, last + 1)
    const final = replyLines[replyLines.length - 1] ?? ''
    return { code: Number.parseInt(final.slice(0, 3), 10), text: replyLines.join(' | ') }
  }

  private fail(err: Error): void {
    this.failure ??= err
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
