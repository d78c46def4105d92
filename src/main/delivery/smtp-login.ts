// SMTP AUTH for smart host sessions (smtp.ts calls it after EHLO/TLS): PLAIN, LOGIN or XOAUTH2, never in plaintext unless asked.
//
// nodemailer does the SASL exchange and logs AUTH lines with the secret masked ("/* secret */"), so the debug
// transcript in smtp.ts never contains a password or token. Errors carry codes the classifier knows:
// ENOAUTH (no AUTH on this connection), ENOSECRET (nothing to log in with), EAUTH (nodemailer: refused / failed).
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js'

/** A login for a smart host. The secret is only ever sent, never logged. */
export interface SmtpLogin {
  user: string
  method: 'PLAIN' | 'LOGIN' | 'XOAUTH2'
  /** PLAIN/LOGIN. */
  password?: string
  /** XOAUTH2: an access token from the account layer, asked for at login (again on a retry). */
  token?: () => Promise<string>
  /** PLAIN/LOGIN without `password`: the account's stored password, asked for at each login. */
  passwordSource?: () => Promise<string>
}

/** The object nodemailer's XOAUTH2 login asks for a token (again with isRetry after a 334 challenge). */
function xoauth2Provider(user: string, token: () => Promise<string>): { getToken(isRetry: boolean, done: (err: Error | null, token?: string) => void): void; buildXOAuth2Token(accessToken: string): string } {
  return {
    getToken(_isRetry, done) {
      token().then((value) => done(null, value), (err: unknown) => done(err instanceof Error ? err : new Error(String(err))))
    },
    buildXOAuth2Token: (accessToken) => Buffer.from(`user=${user}\x01auth=Bearer ${accessToken}\x01\x01`, 'utf8').toString('base64')
  }
}

function refusal(message: string, code: 'ENOAUTH' | 'ENOSECRET'): Error {
  return Object.assign(new Error(message), { code, command: 'AUTH' })
}

/** Logs in on an open session. Resolves with the error, or null when logged in; never rejects. */
export async function logIn(connection: SMTPConnection, auth: SmtpLogin, security: 'starttls' | 'tls' | 'none' | undefined): Promise<unknown> {
  // Never a secret in plaintext: nodemailer's requireTLS already ended such a session; this guards any other path.
  if (!connection.secure && security !== 'none') return refusal('refusing to log in on an unencrypted connection', 'ENOAUTH')
  if (!connection.allowsAuth) return refusal('the server offers no AUTH', 'ENOAUTH')
  let credentials: SMTPConnection.AuthenticationCredentials | SMTPConnection.AuthenticationOAuth2
  if (auth.method === 'XOAUTH2') {
    const token = auth.token
    if (token === undefined) return refusal('no token source for XOAUTH2', 'ENOSECRET')
    credentials = { type: 'OAuth2', user: auth.user, method: 'XOAUTH2', oauth2: xoauth2Provider(auth.user, token) } as unknown as SMTPConnection.AuthenticationOAuth2
  } else {
    let password = auth.password
    if ((password === undefined || password === '') && auth.passwordSource !== undefined) {
      try {
        password = await auth.passwordSource()
      } catch (error) {
        return refusal(`no password: ${(error as Error).message}`, 'ENOSECRET')
      }
    }
    if (password === undefined || password === '') return refusal('no password configured', 'ENOSECRET')
    credentials = { credentials: { user: auth.user, pass: password }, method: auth.method } as unknown as SMTPConnection.AuthenticationCredentials
  }
  return new Promise<unknown>((resolve) => {
    connection.login(credentials, (err) => resolve(err ?? null))
  })
}
