// Refuses a connection whose first line is an HTTP request (a web page aiming a browser at the listener): 554, then close.
// Postfix logs such a client as "rejected: HTTP"; smtp-server alone would answer 421 (temporary), which is the wrong signal.
import type { Socket } from 'node:net'

/** The request line of HTTP/0.9–2 in clear text, and the proxy CONNECT form. */
const HTTP_REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|CONNECT|PATCH|PRI) \S+ HTTP\/\d(\.\d)?\r?$/i
/** Bytes looked at before giving up on finding the first line (SMTP commands are short). */
const FIRST_LINE_LIMIT = 1024
/** A refused client that keeps its end open is cut off after this long. */
const REFUSED_LINGER_MS = 2_000

export const HTTP_REFUSAL = '554 5.7.0 This is an SMTP server, not a web server: HTTP requests are refused\r\n'

export function isHttpRequestLine(line: string): boolean {
  return HTTP_REQUEST_LINE.test(line)
}

/**
 * Watches the first line the client sends. Installed after smtp-server piped the socket into its parser and put in front
 * of that pipe, so an HTTP request is answered here first; the socket's write side is then closed, which silences any
 * reply smtp-server would make to the same bytes.
 */
export function guardAgainstHttp(socket: Socket, onRefused: (line: string) => void): void {
  let seen = ''
  const watch = (chunk: Buffer): void => {
    seen += chunk.toString('latin1')
    const end = seen.indexOf('\n')
    if (end < 0 && seen.length < FIRST_LINE_LIMIT) return
    socket.removeListener('data', watch)
    const line = (end < 0 ? seen : seen.slice(0, end)).replace(/\r$/, '')
    if (!isHttpRequestLine(line)) return
    onRefused(line)
    socket.end(HTTP_REFUSAL)
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref()
  }
  socket.prependListener('data', watch)
}
