// Opening the ManageSieve connection: plain TCP or implicit TLS, the STARTTLS upgrade, and TLS failures as clear errors.
import { isIP, connect as netConnect, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { AppError } from '../../shared/result'

/** What the socket helpers need of the client options. */
/** SNI names the host; an IP address must not be sent as a server name (RFC 6066 §3). */
function serverName(options: SocketOptions): string | undefined {
  const name = options.tls?.servername ?? options.host
  return isIP(name) === 0 ? name : undefined
}

export interface SocketOptions {
  host: string
  port: number
  security: 'starttls' | 'tls' | 'none'
  tls?: { rejectUnauthorized?: boolean; servername?: string }
}

function tlsFailure(err: Error & { code?: string }, where: string): AppError {
  const untrusted = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/i.test(err.code ?? '') || /certificate/i.test(err.message)
  const message = untrusted
    ? `${where}: the server's TLS certificate is not trusted (${err.code ?? err.message}); install a valid certificate on the server or, for a test server, turn off certificate checking`
    : `${where}: TLS failed: ${err.message}`
  return new AppError('SIEVE_TLS', message, { where, tlsCode: err.code }, { cause: err })
}

export function openSocket(options: SocketOptions, where: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const implicitTls = options.security === 'tls'
    const socket: Socket = implicitTls
      ? tlsConnect({ host: options.host, port: options.port, servername: serverName(options), rejectUnauthorized: options.tls?.rejectUnauthorized ?? true })
      : netConnect({ host: options.host, port: options.port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new AppError('SIEVE_CONNECT', `${where}: could not connect within ${timeoutMs} ms`, { where }))
    }, timeoutMs)
    socket.once(implicitTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: Error & { code?: string }) => {
      clearTimeout(timer)
      socket.destroy()
      reject(implicitTls && !/ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|ETIMEDOUT/.test(err.code ?? '')
        ? tlsFailure(err, where)
        : new AppError('SIEVE_CONNECT', `${where}: cannot connect: ${err.message}`, { where }, { cause: err }))
    })
  })
}

export function upgrade(plain: Socket, options: SocketOptions, where: string, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({ socket: plain, servername: serverName(options), rejectUnauthorized: options.tls?.rejectUnauthorized ?? true })
    const timer = setTimeout(() => {
      secure.destroy()
      reject(new AppError('SIEVE_TLS', `${where}: the TLS handshake did not finish within ${timeoutMs} ms`, { where }))
    }, timeoutMs)
    secure.once('secureConnect', () => {
      clearTimeout(timer)
      secure.removeAllListeners('error')
      resolve(secure)
    })
    secure.once('error', (err: Error & { code?: string }) => {
      clearTimeout(timer)
      secure.destroy()
      reject(tlsFailure(err, where))
    })
  })
}
