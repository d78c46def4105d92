// Which OS user owns the client end of a loopback TCP connection (Linux /proc/net/tcp{,6}); null where that cannot be known.
import { readFile } from 'node:fs/promises'
import { isIPv4 } from 'node:net'

export interface SocketEnd {
  address: string
  port: number
}

/** One row of /proc/net/tcp or tcp6: both ends of a socket and the uid that owns it. */
export interface ProcSocket {
  local: SocketEnd
  remote: SocketEnd
  uid: number
}

/** The kernel writes each 32-bit word of an address in host byte order; Linux on every platform we run is little-endian. */
function wordToBytes(hex: string): number[] {
  const value = Number.parseInt(hex, 16)
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]
}

/** "0100007F:1F90" → { address: '127.0.0.1', port: 8080 }; IPv6 rows give '::1', '::ffff:127.0.0.1' style text. */
export function parseProcAddress(text: string): SocketEnd | null {
  const [hexAddress, hexPort] = text.split(':')
  if (hexAddress === undefined || hexPort === undefined || !/^[0-9A-Fa-f]+$/.test(hexAddress + hexPort)) return null
  const port = Number.parseInt(hexPort, 16)
  if (hexAddress.length === 8) return { address: wordToBytes(hexAddress).join('.'), port }
  if (hexAddress.length !== 32) return null
  const bytes: number[] = []
  for (let i = 0; i < 32; i += 8) bytes.push(...wordToBytes(hexAddress.slice(i, i + 8)))
  return { address: ipv6Text(bytes), port }
}

function ipv6Text(bytes: number[]): string {
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
  if (mapped) return `::ffff:${bytes.slice(12).join('.')}`
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16))
  // Compress the longest run of zero groups, as inet_ntop does (enough for matching: both sides go through normalise()).
  const joined = groups.join(':')
  const runs = [...joined.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((a, b) => b[0].length - a[0].length)
  const longest = runs[0]
  if (longest === undefined) return joined
  return `${joined.slice(0, longest.index)}::${joined.slice(longest.index + longest[0].length)}`
}

/** Parses the text of /proc/net/tcp or tcp6 (the header line and damaged rows are skipped). */
export function parseProcNetTcp(text: string): ProcSocket[] {
  const rows: ProcSocket[] = []
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
    if (fields.length < 8) continue
    const local = parseProcAddress(fields[1] as string)
    const remote = parseProcAddress(fields[2] as string)
    const uid = Number(fields[7])
    if (local === null || remote === null || !Number.isInteger(uid)) continue
    rows.push({ local, remote, uid })
  }
  return rows
}

/** One spelling per address: IPv4-mapped IPv6 as plain IPv4, lower-case hex. */
export function normaliseAddress(address: string): string {
  const lower = address.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped !== null) return mapped[1] as string
  if (lower === '0:0:0:0:0:0:0:1') return '::1'
  return lower
}

const sameEnd = (a: SocketEnd, b: SocketEnd): boolean => a.port === b.port && normaliseAddress(a.address) === normaliseAddress(b.address)

/**
 * The uid owning the client's socket of a connection we accepted: the row whose local end is the client
 * (our remote) and whose remote end is us. Our own accepted socket has the two ends the other way round.
 */
export function findPeerUid(rows: readonly ProcSocket[], server: SocketEnd, client: SocketEnd): number | null {
  const row = rows.find((r) => sameEnd(r.local, client) && sameEnd(r.remote, server))
  return row === undefined ? null : row.uid
}

/**
 * Reading /proc/net/tcp costs ~10 ms on a busy host (the kernel walks its whole connection table), so lookups share
 * reads: a lookup uses a read that STARTED after the lookup began (so the client's socket, which exists before the
 * lookup, is in it; an older snapshot could show a previous socket of the same four-tuple), and every lookup that
 * arrives while a read is in flight waits for the next one, which they all share.
 */
interface SharedRead {
  startedAt: number
  rows: Promise<ProcSocket[] | null>
}
const reads = new Map<string, Slot>()

type Slot = { current: SharedRead | null; next: SharedRead | null }

/** Starts a read now and makes it the slot's current one until it finishes. */
function startRead(slot: Slot, path: string): SharedRead {
  const read: SharedRead = { startedAt: performance.now(), rows: readFile(path, 'utf8').then(parseProcNetTcp, () => null) }
  slot.current = read
  void read.rows.finally(() => { if (slot.current === read) slot.current = null })
  return read
}

/** A read of `path` that started at or after `notBefore`, shared with every other lookup that can use it. */
function sharedRead(path: string, notBefore: number): Promise<ProcSocket[] | null> {
  let slot = reads.get(path)
  if (slot === undefined) reads.set(path, (slot = { current: null, next: null }))
  const entry = slot
  if (entry.current !== null && entry.current.startedAt >= notBefore) return entry.current.rows
  if (entry.next !== null) return entry.next.rows
  if (entry.current === null) return startRead(entry, path).rows
  // A read is in flight but began before this lookup: queue one read right after it, for everyone who arrives now.
  const queued: SharedRead = {
    startedAt: Number.POSITIVE_INFINITY,
    rows: entry.current.rows.then(() => {
      entry.next = null
      return startRead(entry, path).rows
    })
  }
  entry.next = queued
  return queued.rows
}

/** Reads /proc/net/tcp (IPv4 clients) or tcp6 (IPv6 and mapped clients) and finds the client's uid; null off Linux or when not found. */
export async function peerUid(server: SocketEnd, client: SocketEnd, procRoot = '/proc'): Promise<number | null> {
  const notBefore = performance.now()
  const files = isIPv4(normaliseAddress(client.address)) ? ['tcp', 'tcp6'] : ['tcp6']
  for (const file of files) {
    const rows = await sharedRead(`${procRoot}/net/${file}`, notBefore)
    if (rows === null) continue
    const uid = findPeerUid(rows, server, client)
    if (uid !== null) return uid
  }
  return null
}
