// An SMTP sink (smtp-server) that records every message received in full: its Message-ID, whether the body is intact,
// and the "generation" (which child process life) the connection belonged to.
import type { Socket } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { crashBody } from './crash-message'

export interface SinkDelivery {
  messageId: string
  /** The generation current when the connection was opened (the child that sent it). */
  generation: number
  recipients: string[]
  /** The body equals crashBody(messageId): nothing torn or mixed up. */
  intact: boolean
}

export interface RecordingSink {
  port: number
  deliveries: SinkDelivery[]
  /** Set by the test before each child starts. */
  generation: number
  close(): Promise<void>
}

function parse(raw: string): { messageId: string; body: string } {
  const split = raw.indexOf('\r\n\r\n')
  const head = split < 0 ? raw : raw.slice(0, split)
  const body = split < 0 ? '' : raw.slice(split + 4)
  const match = /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(head)
  return { messageId: match?.[1] ?? '(none)', body }
}

export async function startRecordingSink(host = '127.0.0.1'): Promise<RecordingSink> {
  const sockets = new Set<Socket>()
  const generationOf = new Map<string, number>()
  const sink: RecordingSink = { port: 0, deliveries: [], generation: 0, close: async () => undefined }
  const server = new SMTPServer({
    secure: false,
    logger: false,
    hideSTARTTLS: true,
    disabledCommands: ['AUTH'],
    closeTimeout: 200,
    onConnect(session, callback) {
      generationOf.set(session.id, sink.generation)
      callback()
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('error', () => undefined) // the child was killed mid-DATA: not a delivery
      stream.on('end', () => {
        const { messageId, body } = parse(Buffer.concat(chunks).toString('utf8'))
        sink.deliveries.push({
          messageId,
          generation: generationOf.get(session.id) ?? -1,
          recipients: session.envelope.rcptTo.map((r) => r.address),
          intact: body === crashBody(messageId)
        })
        callback(null, 'Ok: recorded')
      })
    }
  })
  server.on('error', () => undefined) // children are killed mid-session on purpose
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('the sink has no address')
  sink.port = address.port
  sink.close = () => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  })
  return sink
}
