// Opens imapflow sessions from account settings and turns their failures into coded, human errors.
import { ImapFlow } from 'imapflow'
import { AppError } from '../../shared/result'
import type { AccountConfig } from '../config/schema'
import { IMAP_CONNECT_TIMEOUT_MS, IMAP_GREETING_TIMEOUT_MS, IMAP_SOCKET_TIMEOUT_MS } from '../config/timeouts'

export function imapOptions(account: AccountConfig): ConstructorParameters<typeof ImapFlow>[0] {
  const { imap } = account
  return {
    host: imap.host,
    port: imap.port,
    secure: imap.security === 'tls',
    // starttls: the upgrade is required (credentials never cross in clear); none: plaintext by explicit choice.
    doSTARTTLS: imap.security === 'starttls' ? true : imap.security === 'none' ? false : undefined,
    auth: { user: imap.user, pass: imap.password ?? '' },
    tls: { rejectUnauthorized: imap.tls?.rejectUnauthorized ?? true, servername: imap.host },
    logger: false,
    connectionTimeout: IMAP_CONNECT_TIMEOUT_MS,
    greetingTimeout: IMAP_GREETING_TIMEOUT_MS,
    socketTimeout: IMAP_SOCKET_TIMEOUT_MS,
    disableAutoIdle: true
  }
}

interface ImapLikeError {
  code?: string
  authenticationFailed?: boolean
  tlsFailed?: boolean
  responseText?: string
  message?: string
}

/** Maps an imapflow / socket error to an AppError whose message says what a person can do. */
export function imapError(account: AccountConfig, error: unknown): AppError {
  if (error instanceof AppError) return error
  const e = (error ?? {}) as ImapLikeError
  const where = `${account.imap.host}:${account.imap.port}`
  const detail = e.responseText ?? e.message ?? String(error)
  if (e.authenticationFailed === true) {
    return new AppError('IMAP_AUTH', `The server ${where} refused the login for ${account.imap.user}: check the user name and password (${detail})`, { account: account.id }, { cause: error })
  }
  if (e.tlsFailed === true || /certificate|self[- ]signed|TLS|SSL/i.test(detail)) {
    return new AppError('IMAP_CONNECT', `A secure connection to ${where} could not be set up: ${detail}`, { account: account.id }, { cause: error })
  }
  if (e.code !== undefined && ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'ENETUNREACH', 'NoConnection', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT'].includes(e.code)) {
    return new AppError('IMAP_CONNECT', `The mail server ${where} could not be reached (${e.code}): ${detail}`, { account: account.id }, { cause: error })
  }
  return new AppError('IMAP_ERROR', `The mail server ${where} reported an error: ${detail}`, { account: account.id }, { cause: error })
}

/** Connects a new session; the caller owns it and must `logout()` it. */
export async function connectImap(account: AccountConfig): Promise<ImapFlow> {
  const client = new ImapFlow(imapOptions(account))
  // Socket errors after connect surface on the next command; an unhandled 'error' event must not crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    client.close()
    throw imapError(account, error)
  }
  return client
}
