// A small ManageSieve client (RFC 5804), written by hand because no npm library fits: connect (plain, implicit TLS or
// STARTTLS with the capabilities read again), AUTHENTICATE "PLAIN" with an initial response, CAPABILITY, HAVESPACE,
// PUTSCRIPT/CHECKSCRIPT with {N+} literals, LISTSCRIPTS, SETACTIVE, GETSCRIPT, DELETESCRIPT, LOGOUT; and uploadVacation.
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { ErrorCode } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { MANAGESIEVE_COMMAND_TIMEOUT_MS, MANAGESIEVE_CONNECT_TIMEOUT_MS, MANAGESIEVE_GREETING_TIMEOUT_MS } from '../config/timeouts'
import { openSocket, upgrade } from './managesieve-socket'
import { parseCapabilities, ProtocolViolation, ResponseReader, type SieveResponse } from './managesieve-parser'

export interface ManageSieveOptions {
  host: string
  port: number
  /** starttls: upgrade on the plain port (4190, the RFC's way); tls: TLS from the first byte; none: loopback tests only. */
  security: 'starttls' | 'tls' | 'none'
  user: string
  password: string
  tls?: { rejectUnauthorized?: boolean; servername?: string }
  timeouts?: { connectMs?: number; greetingMs?: number; commandMs?: number }
}

export interface SieveScriptEntry {
  name: string
  active: boolean
}

/** A string as ManageSieve sends it: a non-synchronizing literal {N+} (any octets, counted in UTF-8). */
function literal(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from(`{${bytes.length}+}\r\n`), bytes])
}

/** A quoted string (RFC 5804 §4: no CR, LF or NUL; \ and " escaped). */
export function quoted(text: string): string {
  if (/[\r\n\0]/.test(text)) throw new AppError('INVALID_ARGUMENT', `a ManageSieve string cannot contain line breaks or NUL: ${JSON.stringify(text)}`)
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** The text of an OK (WARNINGS) response (RFC 5804 §1.3), '' for a plain OK. */
function warningsOf(response: SieveResponse): string {
  return response.code[0]?.toUpperCase() === 'WARNINGS' ? response.message : ''
}

function describe(response: SieveResponse): string {
  const code = response.code.length > 0 ? `(${response.code.join(' ')}) ` : ''
  return `${response.status} ${code}${response.message}`.trim()
}

export class ManageSieveClient {
  private socket: Socket
  private reader = new ResponseReader()
  private failure: AppError | undefined
  private wake: (() => void) | undefined
  capabilities = new Map<string, string>()

  private constructor(socket: Socket, private readonly where: string, private readonly commandMs: number) {
    this.socket = socket
    this.attach(socket)
  }

  /** Connects, reads the greeting, does STARTTLS when asked, and logs in. */
  static async open(options: ManageSieveOptions): Promise<ManageSieveClient> {
    const where = `ManageSieve ${options.host}:${options.port}`
    const t = options.timeouts ?? {}
    const socket = await openSocket(options, where, t.connectMs ?? MANAGESIEVE_CONNECT_TIMEOUT_MS)
    const client = new ManageSieveClient(socket, where, t.commandMs ?? MANAGESIEVE_COMMAND_TIMEOUT_MS)
    try {
      client.capabilities = client.readCapabilities(await client.expectOk('the greeting', t.greetingMs ?? MANAGESIEVE_GREETING_TIMEOUT_MS))
      if (options.security === 'starttls') await client.startTls(options)
      await client.authenticate(options.user, options.password)
      return client
    } catch (error) {
      client.close()
      throw error
    }
  }

  get implementation(): string {
    return this.capabilities.get('IMPLEMENTATION') ?? ''
  }

  async capability(): Promise<Map<string, string>> {
    this.capabilities = this.readCapabilities(await this.run('CAPABILITY'))
    return this.capabilities
  }

  async haveSpace(name: string, size: number): Promise<void> {
    await this.run(`HAVESPACE ${quoted(name)} ${size}`)
  }

  /** CHECKSCRIPT (RFC 5804 §2.12): the server's verdict without storing; its NO carries the script errors. */
  async checkScript(script: string): Promise<string> {
    return warningsOf(await this.run([Buffer.from('CHECKSCRIPT '), literal(script)], 'CHECKSCRIPT'))
  }

  /** Stores the script (replacing one of that name); returns the server's warnings text, if any. */
  async putScript(name: string, script: string): Promise<string> {
    return warningsOf(await this.run([Buffer.from(`PUTSCRIPT ${quoted(name)} `), literal(script)], `PUTSCRIPT ${quoted(name)}`))
  }

  async listScripts(): Promise<SieveScriptEntry[]> {
    const response = await this.run('LISTSCRIPTS')
    return response.lines.map((tokens) => {
      const [name, flag, extra] = tokens
      if (name?.kind !== 'string' || (flag !== undefined && !(flag.kind === 'atom' && flag.value.toUpperCase() === 'ACTIVE')) || extra !== undefined) {
        throw this.violation('a LISTSCRIPTS line is not "name" [ACTIVE]')
      }
      return { name: name.value, active: flag !== undefined }
    })
  }

  /** Activates the script; '' deactivates every script. */
  async setActive(name: string): Promise<void> {
    await this.run(`SETACTIVE ${quoted(name)}`)
  }

  async getScript(name: string): Promise<string> {
    const response = await this.run(`GETSCRIPT ${quoted(name)}`)
    const token = response.lines[0]?.[0]
    if (token?.kind !== 'string' || response.lines.length !== 1 || response.lines[0]?.length !== 1) throw this.violation('GETSCRIPT did not answer with exactly one string')
    return token.value
  }

  async deleteScript(name: string): Promise<void> {
    await this.run(`DELETESCRIPT ${quoted(name)}`)
  }

  /** LOGOUT and close; never throws (the work is done by then). */
  async logout(): Promise<void> {
    try {
      this.socket.write('LOGOUT\r\n')
      await this.next('LOGOUT', Math.min(this.commandMs, 5000))
    } catch {
      // the server may just close the connection
    } finally {
      this.close()
    }
  }

  close(): void {
    this.socket.destroy()
  }

  private async startTls(options: ManageSieveOptions): Promise<void> {
    if (!this.capabilities.has('STARTTLS')) {
      throw new AppError('SIEVE_TLS', `${this.where} does not offer STARTTLS; choose security "tls" or check the port`, { where: this.where })
    }
    await this.run('STARTTLS')
    if (this.reader.pending > 0) throw this.violation('the server sent data after its STARTTLS reply, before the TLS handshake')
    const plain = this.socket
    plain.removeAllListeners('data')
    plain.removeAllListeners('error')
    plain.removeAllListeners('close')
    const secure = await upgrade(plain, options, this.where, this.commandMs)
    this.socket = secure
    this.reader = new ResponseReader()
    this.attach(secure)
    // RFC 5804 §2.2: after the handshake the server sends its capabilities again; the ones from before TLS are forgotten.
    this.capabilities = this.readCapabilities(await this.expectOk('the capabilities after STARTTLS', this.commandMs))
  }

  private async authenticate(user: string, password: string): Promise<void> {
    const mechanisms = (this.capabilities.get('SASL') ?? '').toUpperCase().split(/\s+/)
    if (!mechanisms.includes('PLAIN')) {
      const offered = this.capabilities.get('SASL') ?? 'none'
      const hint = (this.socket as Partial<TLSSocket>).encrypted === true ? '' : '; it may allow logins only after TLS (security "starttls")'
      throw new AppError('SIEVE_AUTH', `${this.where} does not offer AUTH PLAIN (SASL: ${offered === '' ? 'none' : offered})${hint}`, { where: this.where })
    }
    const initial = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64')
    this.socket.write(`AUTHENTICATE "PLAIN" "${initial}"\r\n`)
    const response = await this.next('AUTHENTICATE "PLAIN"', this.commandMs)
    if (response.status !== 'OK') {
      throw new AppError('SIEVE_AUTH', `${this.where} refused the login of "${user}": ${describe(response)}`, { where: this.where, response: describe(response) })
    }
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk)
      } catch (error) {
        this.fail(error instanceof ProtocolViolation ? this.violation(error.message) : (error as AppError))
        socket.destroy()
      }
      this.notify()
    })
    socket.on('error', (err) => this.fail(new AppError('SIEVE_CONNECT', `${this.where}: ${err.message}`, { where: this.where }, { cause: err })))
    socket.on('close', () => this.fail(new AppError('SIEVE_CONNECT', `${this.where} closed the connection`, { where: this.where })))
  }

  private readCapabilities(response: SieveResponse): Map<string, string> {
    try {
      return parseCapabilities(response.lines)
    } catch (error) {
      throw error instanceof ProtocolViolation ? this.violation(error.message) : error
    }
  }

  private violation(message: string): AppError {
    return new AppError('SIEVE_PROTOCOL', `${this.where} broke the ManageSieve protocol (RFC 5804): ${message}`, { where: this.where })
  }

  private fail(error: AppError): void {
    this.failure ??= error
    this.notify()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** The next complete response (any status). */
  private async next(step: string, timeoutMs: number): Promise<SieveResponse> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const response = this.reader.take()
      if (response !== undefined) return response
      if (this.failure !== undefined) {
        const failure = this.failure
        throw new AppError(failure.code, `${failure.message} (waiting for the response to ${step})`, failure.details, { cause: failure })
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new AppError('SIEVE_CONNECT', `${this.where}: no response to ${step} within ${timeoutMs} ms`, { where: this.where, step })
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => { clearTimeout(timer); resolve() }
      })
    }
  }

  private async expectOk(step: string, timeoutMs: number, code: ErrorCode = 'SIEVE_ERROR'): Promise<SieveResponse> {
    const response = await this.next(step, timeoutMs)
    if (response.status !== 'OK') {
      throw new AppError(code, `${this.where} answered ${step} with ${describe(response)}`, { where: this.where, step, response: describe(response), responseCode: response.code })
    }
    return response
  }

  private async run(command: string | Buffer[], label = typeof command === 'string' ? command : 'command'): Promise<SieveResponse> {
    if (this.failure !== undefined) throw this.failure
    const bytes = typeof command === 'string' ? Buffer.from(command, 'utf8') : Buffer.concat(command)
    this.socket.write(Buffer.concat([bytes, Buffer.from('\r\n')]))
    return this.expectOk(label, this.commandMs)
  }
}

export interface UploadVacationOptions extends ManageSieveOptions {
  scriptName: string
  script: string
  activate: boolean
}

export interface UploadVacationResult {
  scriptName: string
  /** "host:port (implementation)" */
  server: string
  active: boolean
  /** Warnings the server returned with CHECKSCRIPT/PUTSCRIPT, '' when none. */
  warnings: string
}

/** Logs in, checks and stores the script, activates it when asked, and confirms with LISTSCRIPTS. */
export async function uploadVacation(options: UploadVacationOptions): Promise<UploadVacationResult> {
  const client = await ManageSieveClient.open(options)
  try {
    const size = Buffer.byteLength(options.script, 'utf8')
    await client.haveSpace(options.scriptName, size)
    // CHECKSCRIPT exists only on RFC 5804 servers (those announcing VERSION); older ones check in PUTSCRIPT.
    const checked = client.capabilities.has('VERSION') ? await client.checkScript(options.script) : ''
    const stored = await client.putScript(options.scriptName, options.script)
    if (options.activate) await client.setActive(options.scriptName)
    const entry = (await client.listScripts()).find((s) => s.name === options.scriptName)
    if (entry === undefined) throw new AppError('SIEVE_ERROR', `${options.host}:${options.port} accepted the script "${options.scriptName}" but does not list it`)
    if (options.activate && !entry.active) throw new AppError('SIEVE_ERROR', `${options.host}:${options.port} accepted SETACTIVE but does not list "${options.scriptName}" as active`)
    const implementation = client.implementation
    return {
      scriptName: options.scriptName,
      server: `${options.host}:${options.port}${implementation !== '' ? ` (${implementation})` : ''}`,
      active: entry.active,
      warnings: [checked, stored].filter((w) => w !== '').join('; ')
    }
  } finally {
    await client.logout()
  }
}
