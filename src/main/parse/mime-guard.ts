// A pass-through stream in front of mailparser that follows the MIME structure line by line and cuts the input where a
// limit is crossed: nesting depth, number of parts, size of one header section. mailparser itself has no such limits
// (a 200-level nesting or 100k parts would cost it unbounded time and memory); it then parses what came before the cut.
import { Transform, type TransformCallback } from 'node:stream'
import type { ParseLimits } from './types'

type Frame = { kind: 'multipart'; boundary: string } | { kind: 'message' }

/** Lines longer than this are passed through without being looked at (no boundary or header is that long). */
const LONG_LINE = 64 * 1024
/** What mailsplit (mailparser's splitter) counts a short header line as. */
const HEADER_LINE_MIN_COST = 64
/** Bytes of one Content-Type field kept for reading its boundary. */
const MAX_CONTENT_TYPE = 8 * 1024

export type GuardLimits = Pick<ParseLimits, 'maxDepth' | 'maxParts' | 'maxHeaderBytes'>

/** The media type and boundary of a Content-Type value (lower-case type; boundary as written). */
export function readContentType(value: string): { type: string; boundary: string | null } {
  const type = (/^\s*([^\s;]+)/.exec(value)?.[1] ?? '').toLowerCase()
  const match = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/i.exec(value)
  const boundary = match === null ? null : (match[1] ?? match[2] ?? '').replace(/\\(.)/g, '$1')
  return { type, boundary: boundary === '' ? null : boundary }
}

export class MimeGuard extends Transform {
  /** Why the input was cut, or null while it is whole. */
  problem: string | null = null
  parts = 1
  maxDepthSeen = 0
  private readonly frames: Frame[] = []
  private inHeaders = true
  private headerBytes = 0
  private contentType: string | null = null
  private inContentType = false
  private partial: Buffer | null = null
  private skippingLongLine = false

  constructor(private readonly limits: GuardLimits) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.problem !== null) return done()
    const buffer = this.partial === null ? chunk : Buffer.concat([this.partial, chunk])
    this.partial = null
    let lineStart = 0
    const emitFrom = 0
    for (;;) {
      const newline = buffer.indexOf(0x0a, lineStart)
      if (newline < 0) break
      if (this.skippingLongLine) {
        this.skippingLongLine = false
        if (this.inHeaders && !this.countHeader(newline + 1 - lineStart)) return this.cut(buffer.subarray(emitFrom, lineStart), done)
      } else if (!this.line(buffer, lineStart, newline)) {
        return this.cut(buffer.subarray(emitFrom, lineStart), done)
      }
      lineStart = newline + 1
    }
    const rest = buffer.length - lineStart
    if (rest > 0 && this.skippingLongLine) {
      if (this.inHeaders && !this.countHeader(rest)) return this.cut(buffer.subarray(emitFrom, lineStart), done)
    } else if (rest > 0) {
      if (rest > LONG_LINE) {
        // A line this long is body text (or base64 without line breaks): not a boundary and not a header we read.
        if (this.inHeaders && !this.countHeader(rest)) return this.cut(buffer.subarray(emitFrom, lineStart), done)
        this.skippingLongLine = true
      } else {
        // Keep the incomplete line until its end arrives; everything before it goes on now.
        this.partial = Buffer.from(buffer.subarray(lineStart))
        if (lineStart > emitFrom) this.push(buffer.subarray(emitFrom, lineStart))
        return done()
      }
    }
    if (buffer.length > emitFrom) this.push(buffer.subarray(emitFrom))
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.partial !== null && this.problem === null) this.push(this.partial)
    this.partial = null
    done()
  }

  /** Ends the output after `last`; a header section cut short is closed with an empty line so what was read of it counts. */
  private cut(last: Buffer, done: TransformCallback): void {
    if (last.length > 0) this.push(last)
    if (this.inHeaders) this.push(Buffer.from('\r\n\r\n'))
    this.emit('limit', this.problem)
    done()
  }

  private stop(problem: string): false {
    this.problem = problem
    return false
  }

  private countHeader(bytes: number): boolean {
    // Counted as mailsplit does (a line costs at least 64 bytes), so this limit is met before mailsplit's own.
    this.headerBytes += Math.max(bytes, HEADER_LINE_MIN_COST)
    if (this.headerBytes > this.limits.maxHeaderBytes) {
      return this.stop(`a header section is larger than ${this.limits.maxHeaderBytes} bytes; the message was read up to it`)
    }
    return true
  }

  /** Looks at one line (without its LF); false when a limit was crossed. */
  private line(buffer: Buffer, start: number, newline: number): boolean {
    const end = newline > start && buffer[newline - 1] === 0x0d ? newline - 1 : newline
    if (this.inHeaders) {
      if (!this.countHeader(newline + 1 - start)) return false
      if (end === start) return this.headersEnded()
      const first = buffer[start] as number
      if (first === 0x20 || first === 0x09) {
        if (this.inContentType && this.contentType !== null && this.contentType.length < MAX_CONTENT_TYPE) {
          this.contentType += buffer.toString('latin1', start, Math.min(end, start + MAX_CONTENT_TYPE))
        }
        return true
      }
      this.inContentType = end - start > 13 && buffer.toString('latin1', start, start + 13).toLowerCase() === 'content-type:'
      if (this.inContentType) this.contentType = buffer.toString('latin1', start + 13, Math.min(end, start + MAX_CONTENT_TYPE))
      return true
    }
    // Body: only a line starting with "--" can be a boundary of an open multipart.
    if (end - start < 3 || buffer[start] !== 0x2d || buffer[start + 1] !== 0x2d || this.frames.length === 0) return true
    const text = buffer.toString('latin1', start + 2, Math.min(end, start + 2 + 200)).replace(/[ \t]+$/, '')
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i] as Frame
      if (frame.kind !== 'multipart') continue
      if (text === `${frame.boundary}--`) {
        this.frames.length = i
        return true
      }
      if (text === frame.boundary) {
        this.frames.length = i + 1
        this.parts++
        if (this.parts > this.limits.maxParts) return this.stop(`more than ${this.limits.maxParts} MIME parts; the later ones were not read`)
        this.startHeaders()
        return true
      }
    }
    return true
  }

  private startHeaders(): void {
    this.inHeaders = true
    this.headerBytes = 0
    this.contentType = null
    this.inContentType = false
  }

  private headersEnded(): boolean {
    this.inHeaders = false
    const { type, boundary } = readContentType(this.contentType ?? '')
    this.contentType = null
    this.inContentType = false
    if (type.startsWith('multipart/') && boundary !== null) return this.pushFrame({ kind: 'multipart', boundary })
    if (type === 'message/rfc822' || type === 'message/global') {
      if (!this.pushFrame({ kind: 'message' })) return false
      this.startHeaders()
    }
    return true
  }

  private pushFrame(frame: Frame): boolean {
    this.frames.push(frame)
    this.maxDepthSeen = Math.max(this.maxDepthSeen, this.frames.length)
    if (this.frames.length > this.limits.maxDepth) {
      return this.stop(`MIME parts nested deeper than ${this.limits.maxDepth} levels; the deeper parts were not read`)
    }
    return true
  }
}
