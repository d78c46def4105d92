// The TLS step of the connection test: a handshake (implicit TLS, or IMAP/SMTP STARTTLS first) that never fails on
// the certificate but describes it, so the user reads which name and issuer the server showed and what is wrong.
import { Socket, connect as tcpConnect, isIP } from 'node:net'
import { checkServerIdentity, connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls'
import { ACCOUNT_TEST_TLS_TIMEOUT_MS } from '../config/timeouts'

export interface TlsProbeTarget {
  /** The name the user entered (the certificate must be for it). */
  host: string
  /** The address to connect to. */
  address: string
  port: number
  security: 'tls' | 'starttls'
  protocol: 'imap' | 'smtp'
  /** Our host name for EHLO. */
  hostname: string
}

export interface TlsProbeResult {
  /** Certificate valid for the host and issued by a trusted authority. */
  trusted: boolean
  /** Sentence about the certificate (or why no TLS session could be set up). */
  detail: string
  /** False when no TLS session came up at all (no STARTTLS, handshake failure). */
  handshake: boolean
}

function name(entity: { CN?: string | string[]; O?: string | string[] } | undefined): string {
  if (entity === undefined) return 'an unnamed entity'
  const pick = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)
  const cn = pick(entity.CN)
  const o = pick(entity.O)
  return cn !== undefined ? (o !== undefined && o !== cn ? `${cn} (${o})` : cn) : (o ?? 'an unnamed entity')
}

function namesOf(cert: DetailedPeerCertificate): string {
  const alt = (cert.subjectaltname ?? '').split(',').map((s) => s.trim().replace(/^(DNS|IP Address):/, '')).filter((s) => s !== '')
  const all = [...new Set([...(cert.subject?.CN !== undefined ? [String(cert.subject.CN)] : []), ...alt])]
  return all.length === 0 ? 'no name' : all.join(', ')
}

/** A sentence for a certificate problem (code from Node's authorizationError, or a name mismatch). */
export function describeCertificate(host: string, cert: DetailedPeerCertificate, authorizationError: string | null): { trusted: boolean; detail: string } {
  const subject = name(cert.subject)
  const issuer = name(cert.issuer)
  const mismatch = isIP(host) === 0 || (cert.subjectaltname ?? '').includes('IP Address') ? checkServerIdentity(host, cert) : undefined
  const code = authorizationError ?? null
  if (code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return { trusted: false, detail: `The server's certificate for ${namesOf(cert)} is self-signed (issued by ${issuer} itself), so it cannot be verified. Ask your provider, or accept this certificate only if you run this server yourself.` }
  }
  if (code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' || code === 'UNABLE_TO_GET_ISSUER_CERT' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE') {
    return { trusted: false, detail: `The server's certificate for ${namesOf(cert)} was issued by ${issuer}, an authority this system does not trust (${code}).` }
  }
  if (code === 'CERT_HAS_EXPIRED') return { trusted: false, detail: `The server's certificate for ${namesOf(cert)} expired on ${cert.valid_to} (issued by ${issuer}).` }
  if (code === 'CERT_NOT_YET_VALID') return { trusted: false, detail: `The server's certificate for ${namesOf(cert)} is only valid from ${cert.valid_from} (check this computer's clock).` }
  if (code !== null) return { trusted: false, detail: `The server's certificate (${subject}, issued by ${issuer}) cannot be verified: ${code}.` }
  if (mismatch !== undefined) {
    return { trusted: false, detail: `The server's certificate is for ${namesOf(cert)}, not for ${host} (issued by ${issuer}): check the server name.` }
  }
  return { trusted: true, detail: `Secure connection; the certificate for ${host} was issued by ${issuer} and is valid until ${cert.valid_to}.` }
}

/** Reads CRLF lines from a socket until `done` says the reply is complete. */
function readReply(socket: Socket, done: (line: string) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const lines: string[] = []
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1')
      let end: number
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).replace(/\r$/, '')
        buffer = buffer.slice(end + 1)
        lines.push(line)
        if (done(line)) {
          cleanup()
          resolve(lines)
          return
        }
      }
    }
    const onEnd = (): void => { cleanup(); reject(new Error('the server closed the connection')) }
    const onError = (error: Error): void => { cleanup(); reject(error) }
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', onError)
    }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('error', onError)
  })
}

/** The plaintext part of STARTTLS: greeting, (EHLO,) STARTTLS and its positive answer. Throws a sentence. */
async function startTls(socket: Socket, target: TlsProbeTarget): Promise<void> {
  if (target.protocol === 'imap') {
    await readReply(socket, (l) => l.startsWith('* '))
    socket.write('a1 STARTTLS\r\n')
    const reply = await readReply(socket, (l) => l.startsWith('a1 '))
    const last = reply.at(-1) ?? ''
    if (!/^a1 OK/i.test(last)) throw new Error(`the server does not offer STARTTLS (${last.slice(3)})`)
    return
  }
  await readReply(socket, (l) => /^\d{3} /.test(l))
  socket.write(`EHLO ${target.hostname}\r\n`)
  const ehlo = await readReply(socket, (l) => /^\d{3} /.test(l))
  if (!ehlo.some((l) => /^250[ -]STARTTLS/i.test(l))) throw new Error('the server does not offer STARTTLS')
  socket.write('STARTTLS\r\n')
  const reply = await readReply(socket, (l) => /^\d{3} /.test(l))
  if (!(reply.at(-1) ?? '').startsWith('220')) throw new Error(`the server refused STARTTLS (${reply.at(-1) ?? ''})`)
}

export async function probeTls(target: TlsProbeTarget): Promise<TlsProbeResult> {
  const servername = isIP(target.host) === 0 ? target.host : undefined
  let plain: Socket | undefined
  let secure: TLSSocket | undefined
  const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no TLS session within ${ACCOUNT_TEST_TLS_TIMEOUT_MS / 1000} s`)), ACCOUNT_TEST_TLS_TIMEOUT_MS).unref())
  const work = async (): Promise<TlsProbeResult> => {
    if (target.security === 'starttls') {
      plain = tcpConnect({ host: target.address, port: target.port })
      await new Promise<void>((resolve, reject) => { plain?.once('connect', resolve); plain?.once('error', reject) })
      await startTls(plain, target)
    }
    secure = tlsConnect({ ...(plain === undefined ? { host: target.address, port: target.port } : { socket: plain }), ...(servername === undefined ? {} : { servername }), rejectUnauthorized: false })
    await new Promise<void>((resolve, reject) => { secure?.once('secureConnect', resolve); secure?.once('error', reject) })
    const cert = secure.getPeerCertificate(true)
    const error = secure.authorizationError
    const code = error === null || error === undefined ? null : String((error as { code?: string }).code ?? (error as Error).message ?? error)
    const described = describeCertificate(target.host, cert, code)
    return { ...described, handshake: true }
  }
  try {
    return await Promise.race([work(), timer])
  } catch (error) {
    const message = (error as Error).message
    return { trusted: false, handshake: false, detail: `No secure connection to ${target.host}:${target.port} could be set up: ${message}.` }
  } finally {
    secure?.destroy()
    plain?.destroy()
  }
}
