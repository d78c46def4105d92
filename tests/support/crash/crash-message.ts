// What the crash child sends and the test's sink checks: a body derived from the Message-ID, so a torn message is detected.
import { createHash } from 'node:crypto'

export const SINK_DOMAIN = 'sink.test'

/** The body every crash message carries (CRLF line ends, ~1.6 kB). */
export function crashBody(messageId: string): string {
  const digest = createHash('sha256').update(messageId).digest('hex')
  return Array.from({ length: 24 }, (_, i) => `${i} ${digest}`).join('\r\n') + '\r\n'
}
