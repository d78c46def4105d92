// Queue ids: sortable by creation time, unique across processes, and safe as file names ([0-9A-Z] only).
//
// Layout (20 characters, Crockford base32, whose alphabet is in ASCII order so string order = numeric order):
//   TTTTTTTTTT  10 chars  milliseconds since the epoch (50 bits, good until the year 37648)
//   SS           2 chars  per-process sequence within the same millisecond (1024 per ms, then the ms is borrowed)
//   PP           2 chars  10 bits of the process id, so two processes never share a prefix by accident
//   RRRRRR       6 chars  30 random bits from crypto
// Within one process ids are strictly increasing, even if the wall clock steps back.
import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const TIME_CHARS = 10
const SEQ_CHARS = 2
const PID_CHARS = 2
const RANDOM_CHARS = 6
const SEQ_LIMIT = 32 ** SEQ_CHARS
const MAX_TIME = 32 ** TIME_CHARS - 1

export const QUEUE_ID_LENGTH = TIME_CHARS + SEQ_CHARS + PID_CHARS + RANDOM_CHARS
const ID_PATTERN = /^[0-9A-Z]{20}$/

function encode(value: number, length: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < length; i++) {
    out = ALPHABET.charAt(rest % 32) + out
    rest = Math.floor(rest / 32)
  }
  return out
}

export interface IdGeneratorOptions {
  pid?: number
  /** Source of random bytes (tests make it deterministic). */
  random?: (size: number) => Buffer
}

export type IdGenerator = (now: number) => string

/** A generator with its own sequence; the spool uses one per process (see `newQueueId`). */
export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const pid = options.pid ?? process.pid
  const random = options.random ?? randomBytes
  const pidPart = encode((pid ^ (pid >>> 10) ^ (pid >>> 20)) & (SEQ_LIMIT - 1), PID_CHARS)
  let lastMs = -1
  let seq = 0
  return (now: number): string => {
    let ms = Math.min(Math.max(Math.floor(now), 0), MAX_TIME)
    if (ms <= lastMs) {
      ms = lastMs
      seq += 1
      if (seq >= SEQ_LIMIT) {
        ms = lastMs + 1
        seq = 0
      }
    } else {
      seq = 0
    }
    lastMs = ms
    const bits = random(4).readUInt32BE(0) & 0x3fffffff
    return encode(ms, TIME_CHARS) + encode(seq, SEQ_CHARS) + pidPart + encode(bits, RANDOM_CHARS)
  }
}

const processGenerator = createIdGenerator()

/** A new queue id for a message created at `now` (ms). */
export function newQueueId(now: number): string {
  return processGenerator(now)
}

export function isQueueId(value: string): boolean {
  return ID_PATTERN.test(value)
}

/** The creation time encoded in an id (ms), or null if the id is not one of ours. */
export function queueIdTime(id: string): number | null {
  if (!isQueueId(id)) return null
  let value = 0
  for (const ch of id.slice(0, TIME_CHARS)) {
    const digit = ALPHABET.indexOf(ch)
    if (digit < 0) return null
    value = value * 32 + digit
  }
  return value
}
