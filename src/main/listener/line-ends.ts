// Finds bare CR and bare LF in DATA, chunk by chunk: SMTP allows only CRLF (RFC 5321 §2.3.8), and a lone one is how SMTP smuggling starts.
//
// smtp-server ends DATA only at <CRLF>.<CRLF>, so `\n.\n`, `\r.\r`, `\n.\r\n`, `\r\n.\n` and `\r.\r\n` arrive here as
// message content; every one of them contains a bare CR or LF, which this check finds, and the message is refused.

export type BareKind = 'LF' | 'CR'

export interface BareLineEnd {
  kind: BareKind
  /** 1-based line of the message (counted by CRLF) where it was found. */
  line: number
}

export class LineEndChecker {
  /** The first bare CR or LF seen, or null. */
  found: BareLineEnd | null = null
  private pendingCr = false
  private line = 1

  /** Feeds the next chunk of the (dot-unstuffed) message. */
  push(chunk: Buffer): void {
    if (this.found !== null) return
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number
      if (this.pendingCr) {
        this.pendingCr = false
        if (byte === 0x0a) {
          this.line++
          continue
        }
        this.found = { kind: 'CR', line: this.line }
        return
      }
      if (byte === 0x0d) this.pendingCr = true
      else if (byte === 0x0a) {
        this.found = { kind: 'LF', line: this.line }
        return
      }
    }
  }

  /** Call at the end of the message: a CR as the very last byte is bare too. */
  end(): BareLineEnd | null {
    if (this.found === null && this.pendingCr) this.found = { kind: 'CR', line: this.line }
    this.pendingCr = false
    return this.found
  }
}
