// A tiny hand-written SMTP server for cases smtp-server cannot play: broken TLS after STARTTLS, chosen EHLO lines, RCPT limits.
import { createServer, type Socket } from 'node:net'

export interface Script {
  /** EHLO extension lines after the greeting line, e.g. ['PIPELINING', 'SIZE 1000', 'STARTTLS']. */
  ehlo: string[]
  /** After "220 Go ahead" to STARTTLS, answer the ClientHello with garbage (a broken TLS stack). */
  brokenTls?: boolean
  /** The reply to the n-th RCPT TO of a transaction (1-based); default 250. */
  rcpt?: (address: string, n: number, line: string) => string
  /** The reply after the final dot; default '250 2.0.0 Ok: queued as ABC'. */
  dot?: () => string
  /** The reply to RSET; default '250 2.0.0 Ok'. */
  rset?: () => string
  /** Close the connection right after answering the final dot (a server with a short idle timeout). */
  hangUpAfterMessage?: boolean
  /** Close the connection right after answering RSET with 250 (it dies between our RSET and MAIL FROM). */
  hangUpAfterRset?: boolean
}

export interface ScriptedServer {
  port: number
  /** Every command line received, per connection. */
  connections: string[][]
  /** Each accepted message: MAIL FROM line, accepted RCPT lines, data. */
  messages: Array<{ mail: string; rcpts: string[]; data: string }>
  close(): Promise<void>
}

export async function startScriptedSmtp(script: Script, host = '127.0.0.1', port = 0): Promise<ScriptedServer> {
  const sockets = new Set<Socket>()
  const state: Pick<ScriptedServer, 'connections' | 'messages'> = { connections: [], messages: [] }
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
    socket.once('close', () => sockets.delete(socket))
    const log: string[] = []
    state.connections.push(log)
    let buffer = ''
    let inData = false
    let tlsBroken = false
    let data = ''
    let mail = ''
    let rcpts: string[] = []
    let rcptCount = 0
    const reply = (line: string): void => { socket.write(`${line}\r\n`) }
    socket.write('220 scripted.test ESMTP\r\n')
    socket.on('data', (chunk: Buffer) => {
      if (tlsBroken) {
        socket.write('this is not TLS at all\r\n')
        return
      }
      buffer += chunk.toString('utf8')
      let index: number
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index)
        buffer = buffer.slice(index + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            state.messages.push({ mail, rcpts, data })
            reply(script.dot?.() ?? '250 2.0.0 Ok: queued as ABC')
            if (script.hangUpAfterMessage === true) socket.end()
          } else {
            data += (line.startsWith('.') ? line.slice(1) : line) + '\r\n'
          }
          continue
        }
        log.push(line)
        const verb = line.split(' ')[0]?.toUpperCase()
        if (verb === 'EHLO') reply(['scripted.test', ...script.ehlo].map((l, i, all) => `250${i === all.length - 1 ? ' ' : '-'}${l}`).join('\r\n'))
        else if (verb === 'HELO') reply('250 scripted.test')
        else if (verb === 'STARTTLS') {
          reply('220 2.0.0 Go ahead')
          if (script.brokenTls === true) tlsBroken = true
        } else if (verb === 'MAIL') {
          mail = line
          rcpts = []
          rcptCount = 0
          reply('250 2.1.0 Ok')
        } else if (verb === 'RCPT') {
          rcptCount += 1
          const address = /<([^>]*)>/.exec(line)?.[1] ?? ''
          const answer = script.rcpt?.(address, rcptCount, line) ?? '250 2.1.5 Ok'
          if (answer.startsWith('2')) rcpts.push(line)
          reply(answer)
        } else if (verb === 'DATA') {
          if (rcpts.length === 0) reply('554 5.5.1 Error: no valid recipients')
          else {
            inData = true
            data = ''
            reply('354 End data with <CR><LF>.<CR><LF>')
          }
        } else if (verb === 'RSET') {
          mail = ''
          rcpts = []
          rcptCount = 0
          reply(script.rset?.() ?? '250 2.0.0 Ok')
          if (script.hangUpAfterRset === true) socket.destroy()
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye')
          socket.end()
        } else reply('502 5.5.2 Error: command not recognized')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return {
    port: address.port,
    ...state,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
