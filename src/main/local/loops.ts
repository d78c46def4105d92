// Mail loop checks of local delivery (Postfix local(8) style): a Delivered-To: for the same address already in the header, or too many Received: lines.

/** Why a message must not be delivered (it bounces with 5.4.6). */
export interface LoopVerdict {
  enhanced: '5.4.6'
  /** For the DSN's diagnostic, Postfix wording: "mail forwarding loop for www@example.org". */
  text: string
  /** One sentence a person understands. */
  human: string
}

/** The unfolded header fields of a message (up to the first empty line), as [lower-cased name, value]. */
export function headerFields(data: Buffer): Array<[string, string]> {
  const end = headerEnd(data)
  const text = data.subarray(0, end).toString('latin1')
  const fields: Array<[string, string]> = []
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields[fields.length - 1] as [string, string]
      last[1] += ` ${line.trim()}`
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()])
  }
  return fields
}

/** Offset of the empty line ending the header (the whole message when there is none). */
export function headerEnd(data: Buffer): number {
  const crlf = data.indexOf('\r\n\r\n')
  const lf = data.indexOf('\n\n')
  if (data.subarray(0, 2).toString() === '\r\n' || data.subarray(0, 1).toString() === '\n') return 0
  const candidates = [crlf < 0 ? -1 : crlf + 2, lf < 0 ? -1 : lf + 1].filter((n) => n >= 0)
  return candidates.length === 0 ? data.length : Math.min(...candidates)
}

/** The addresses of every Delivered-To: field, lower-cased, angle brackets removed. */
export function deliveredToAddresses(data: Buffer): Set<string> {
  const found = new Set<string>()
  for (const [name, value] of headerFields(data)) {
    if (name === 'delivered-to') found.add(normalize(value))
  }
  return found
}

export function receivedCount(data: Buffer): number {
  return headerFields(data).filter(([name]) => name === 'received').length
}

function normalize(address: string): string {
  return address.trim().replace(/^<|>$/g, '').trim().toLowerCase()
}

/**
 * Checks a message before local delivery to `addresses` (the original recipient and every address its expansion
 * went through, qualified). Too many Received: fields: hop count exceeded; a Delivered-To: for one of the
 * addresses: a forwarding loop. Null when the message may be delivered.
 */
export function checkLoops(data: Buffer, addresses: readonly string[], maxReceived: number): LoopVerdict | null {
  const fields = headerFields(data)
  const hops = fields.filter(([name]) => name === 'received').length
  if (hops > maxReceived) {
    return {
      enhanced: '5.4.6',
      text: `hop count exceeded - possible mail loop (${hops} Received: headers, limit ${maxReceived})`,
      human: `The message has passed through ${hops} mail servers (the limit is ${maxReceived}); it is probably caught in a mail loop.`
    }
  }
  const delivered = new Set(fields.filter(([name]) => name === 'delivered-to').map(([, value]) => normalize(value)))
  for (const address of addresses) {
    if (delivered.has(normalize(address))) {
      return {
        enhanced: '5.4.6',
        text: `mail forwarding loop for ${address}`,
        human: `The message was already delivered to ${address} once (Delivered-To: ${address}) and came back: aliases or .forward files send it round in a loop.`
      }
    }
  }
  return null
}
