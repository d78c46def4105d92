// A raw SMTP client for tests, the way a person talks to a server in telnet: write a line, read the reply (multi-line aware).
import { connect, type Socket } from 'node:net'

export interface Reply {
  code: number
  /** The whole reply, lines joined with \n, without the final CRLF. */
  text: string
}

export class SmtpTalk {
  private buffer = ''
  private waiting: Array<(reply: Reply | null) => void> = []
  private readonly replies: Reply[] = []
  private closed = false
  /** Everything the server wrote, for assertions on what was (not) said. */
  transcript = ''

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1')
      this.transcript += text
      this.buffer += text
      this.parse()
    })
    socket.on('close', () => {
      this.closed = true
      for (const wake of this.waiting.splice(0)) wake(null)
    })
    socket.on('error', () => undefined)
  }

  static open(port: number, host = '127.0.0.1'): Promise<SmtpTalk> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port })
      socket.once('connect', () => resolve(new SmtpTalk(socket)))
      socket.once('error', reject)
    })
  }

  private parse(): void {
    for (;;) {
      // A reply ends with a line "NNN text" (a space, not a dash, after the code).
      const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(this.buffer)
      if (match === null) return
      const end = match.index + match[0].length
      const raw = this.buffer.slice(0, end).replace(/\r\n$/, '')
      this.buffer = this.buffer.slice(end)
      const reply = { code: Number(match[2]), text: raw.replace(/\r\n/g, '\n') }
      const wake = this.waiting.shift()
      if (wake !== undefined) wake(reply)
      else this.replies.push(reply)
    }
  }

  /** The next reply; null when the server closed the connection first. Fails after timeoutMs. */
  read(timeoutMs = 5_000): Promise<Reply | null> {
    const queued = this.replies.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    if (this.closed) return Promise.resolve(null)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${timeoutMs} ms; transcript:\n${this.transcript}`)), timeoutMs)
      this.waiting.push((reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
    })
  }

  /** Sends raw bytes (no CRLF added). */
  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  /** Sends a line with CRLF and returns the reply. */
  async send(line: string): Promise<Reply> {
    this.write(`${line}\r\n`)
    const reply = await this.read()
    if (reply === null) throw new Error(`connection closed after "${line}"; transcript:\n${this.transcript}`)
    return reply
  }

  /** Resolves when the server has closed the connection (true) or after timeoutMs (false). */
  whenClosed(timeoutMs = 5_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs)
      this.socket.once('close', () => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  close(): void {
    this.socket.destroy()
  }
}
