// A tiny UDP DNS server for resolver tests (node:dgram): answers from a function, with any RCODE, or never.
import { createSocket, type Socket } from 'node:dgram'

export const TYPE = { A: 1, MX: 15, AAAA: 28 } as const
export const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const

export interface Record {
  type: number
  data: Buffer
}

/** 'silent' drops the query: the client has to time out. */
export type Answer = { rcode: number; records?: Record[] } | 'silent'

export interface Responder {
  /** "127.0.0.1:port", as setServers takes it. */
  server: string
  queries: Array<{ name: string; type: number }>
  close(): Promise<void>
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '')
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])])
}

export const rr = {
  a: (address: string): Record => ({ type: TYPE.A, data: Buffer.from(address.split('.').map(Number)) }),
  aaaa: (address: string): Record => {
    // Only the full or "::"-compressed textual forms the tests use.
    const [head = '', tail = ''] = address.split('::')
    const h = head === '' ? [] : head.split(':')
    const t = tail === '' ? [] : tail.split(':')
    const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    const data = Buffer.alloc(16)
    groups.forEach((g, i) => data.writeUInt16BE(parseInt(g, 16), i * 2))
    return { type: TYPE.AAAA, data }
  },
  mx: (priority: number, exchange: string): Record => {
    const pref = Buffer.alloc(2)
    pref.writeUInt16BE(priority)
    return { type: TYPE.MX, data: Buffer.concat([pref, encodeName(exchange)]) }
  }
}

function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  let offset = 12
  const labels: string[] = []
  while (offset < msg.length) {
    const length = msg[offset] ?? 0
    offset += 1
    if (length === 0) break
    labels.push(msg.subarray(offset, offset + length).toString('ascii'))
    offset += length
  }
  if (offset + 4 > msg.length) return null
  return { name: labels.join('.').toLowerCase(), type: msg.readUInt16BE(offset), end: offset + 4 }
}

function respond(query: Buffer, end: number, answer: { rcode: number; records?: Record[] }): Buffer {
  const records = answer.records ?? []
  const header = Buffer.alloc(12)
  header.writeUInt16BE(query.readUInt16BE(0), 0) // same ID
  const rd = query.readUInt16BE(2) & 0x0100
  header.writeUInt16BE(0x8000 | rd | 0x0080 | (answer.rcode & 0x0f), 2) // QR, RD copied, RA, RCODE
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(records.length, 6)
  const body = records.map((r) => {
    const fixed = Buffer.alloc(12)
    fixed.writeUInt16BE(0xc00c, 0) // the name of the question
    fixed.writeUInt16BE(r.type, 2)
    fixed.writeUInt16BE(1, 4) // IN
    fixed.writeUInt32BE(60, 6)
    fixed.writeUInt16BE(r.data.length, 10)
    return Buffer.concat([fixed, r.data])
  })
  return Buffer.concat([header, query.subarray(12, end), ...body])
}

export async function startDnsResponder(answer: (name: string, type: number) => Answer): Promise<Responder> {
  const socket: Socket = createSocket('udp4')
  const queries: Responder['queries'] = []
  socket.on('message', (msg, from) => {
    const question = parseQuestion(msg)
    if (question === null) return
    queries.push({ name: question.name, type: question.type })
    const reply = answer(question.name, question.type)
    if (reply === 'silent') return
    socket.send(respond(msg, question.end, reply), from.port, from.address)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve()))
  }
}
