// The hand-written ManageSieve client (RFC 5804) against a scripted fake server: commands on the wire, literals,
// response codes, and every protocol violation turned into a clear SIEVE_* error.
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ManageSieveClient, uploadVacation, type ManageSieveOptions } from '../../../src/main/vacation/managesieve'
import { ResponseReader, parseLine, ProtocolViolation } from '../../../src/main/vacation/managesieve-parser'
import { AppError } from '../../../src/shared/result'

const CAPS = '"IMPLEMENTATION" "Fake Sieve"\r\n"SIEVE" "fileinto vacation"\r\n"SASL" "PLAIN"\r\n"VERSION" "1.0"\r\n'
const GREETING = `${CAPS}OK "ready"\r\n`

type Handler = (command: string, socket: Socket) => void

interface Fake {
  port: number
  commands: string[]
}

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A server that sends `greeting` and passes each complete command (client literals {N+} included) to `handle`. */
async function fake(handle: Handler, greeting = GREETING): Promise<Fake> {
  const commands: string[] = []
  server = createServer((socket) => {
    socket.write(greeting)
    let buffer = Buffer.alloc(0)
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      for (;;) {
        const end = buffer.indexOf('\r\n')
        if (end < 0) return
        let line = buffer.subarray(0, end).toString('utf8')
        let consumed = end + 2
        const lit = /\{(\d+)\+\}$/.exec(line)
        if (lit !== null) {
          const size = Number(lit[1])
          if (buffer.length < consumed + size + 2) return
          line += '\n' + buffer.subarray(consumed, consumed + size).toString('utf8')
          consumed += size + 2
        }
        buffer = buffer.subarray(consumed)
        commands.push(line)
        handle(line, socket)
      }
    })
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { port: typeof address === 'object' && address !== null ? address.port : 0, commands }
}

const options = (port: number, extra: Partial<ManageSieveOptions> = {}): ManageSieveOptions => ({
  host: '127.0.0.1', port, security: 'none', user: 'alice', password: 'sécret', timeouts: { commandMs: 1000, greetingMs: 1000 }, ...extra
})

/** A well-behaved server: OK to everything; LISTSCRIPTS lists what was stored. */
function friendly(extra: (command: string, socket: Socket) => boolean = () => false): Handler {
  let stored = ''
  let active = ''
  return (command, socket) => {
    const verb = command.split(' ')[0]
    if (verb === 'PUTSCRIPT') stored = /^PUTSCRIPT "([^"]+)"/.exec(command)?.[1] ?? ''
    if (verb === 'SETACTIVE') active = /^SETACTIVE "([^"]*)"/.exec(command)?.[1] ?? ''
    if (extra(command, socket)) return
    if (verb === 'LISTSCRIPTS') socket.write(`"other"\r\n{${Buffer.byteLength(stored)}}\r\n${stored}${stored === active ? ' ACTIVE' : ''}\r\nOK "Listscripts completed."\r\n`)
    else if (verb === 'LOGOUT') socket.end('OK "Logout completed."\r\n')
    else socket.write('OK "done"\r\n')
  }
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('ManageSieve client', () => {
  it('uploads: AUTH PLAIN initial response, HAVESPACE, CHECKSCRIPT and PUTSCRIPT as {N+} literals, SETACTIVE, LISTSCRIPTS', async () => {
    const server = await fake(friendly())
    const script = 'require "vacation";\r\nvacation "Absente — à lundi";\r\n'
    const result = await uploadVacation({ ...options(server.port), scriptName: 'mailroom-vacation', script, activate: true })
    expect(result).toEqual({ scriptName: 'mailroom-vacation', server: `127.0.0.1:${server.port} (Fake Sieve)`, active: true, warnings: '' })
    const size = Buffer.byteLength(script)
    expect(server.commands).toEqual([
      `AUTHENTICATE "PLAIN" "${Buffer.from('\0alice\0sécret').toString('base64')}"`,
      `HAVESPACE "mailroom-vacation" ${size}`,
      `CHECKSCRIPT {${size}+}\n${script}`,
      `PUTSCRIPT "mailroom-vacation" {${size}+}\n${script}`,
      'SETACTIVE "mailroom-vacation"',
      'LISTSCRIPTS',
      'LOGOUT'
    ])
  })

  it('passes on server warnings (OK (WARNINGS) …)', async () => {
    const server = await fake(friendly((command, socket) => {
      if (!command.startsWith('PUTSCRIPT')) return false
      socket.write('OK (WARNINGS) "line 2: unknown header"\r\n')
      return true
    }))
    const result = await uploadVacation({ ...options(server.port), scriptName: 's', script: 'keep;', activate: false })
    expect(result.warnings).toBe('line 2: unknown header')
    expect(result.active).toBe(false)
  })

  it('a wrong password is SIEVE_AUTH with the server\'s words', async () => {
    const server = await fake((command, socket) => socket.write(command.startsWith('AUTHENTICATE') ? 'NO (AUTH-TOO-WEAK) "Authentication failed."\r\n' : 'OK\r\n'))
    const error = await failure(ManageSieveClient.open(options(server.port)))
    expect(error.code).toBe('SIEVE_AUTH')
    expect(error.message).toMatch(/refused the login of "alice": NO \(AUTH-TOO-WEAK\) Authentication failed\./)
  })

  it('a script error arrives as a literal in the NO response: SIEVE_ERROR with the text and the response code', async () => {
    const text = 'line 3: error: unknown command "vacashun".'
    const server = await fake(friendly((command, socket) => {
      if (!command.startsWith('CHECKSCRIPT')) return false
      socket.write(`NO (QUOTA/MAXSIZE) {${Buffer.byteLength(text)}}\r\n${text}\r\n`)
      return true
    }))
    const error = await failure(uploadVacation({ ...options(server.port), scriptName: 's', script: 'vacashun;', activate: true }))
    expect(error.code).toBe('SIEVE_ERROR')
    expect(error.message).toContain('answered CHECKSCRIPT with NO (QUOTA/MAXSIZE) line 3: error: unknown command "vacashun".')
    expect(error.details?.responseCode).toEqual(['QUOTA/MAXSIZE'])
  })

  it('reads GETSCRIPT\'s literal byte-exact (UTF-8) and escaped quoted strings in LISTSCRIPTS', async () => {
    const body = 'vacation "à \\"bientôt\\"";\r\n'
    const server = await fake((command, socket) => {
      if (command.startsWith('GETSCRIPT')) socket.write(`{${Buffer.byteLength(body)}}\r\n${body}\r\nOK\r\n`)
      else if (command === 'LISTSCRIPTS') socket.write('"we \\"quote\\"" ACTIVE\r\n"b\\\\c"\r\nOK\r\n')
      else socket.write('OK\r\n')
    })
    const client = await ManageSieveClient.open(options(server.port))
    expect(await client.getScript('x')).toBe(body)
    expect(await client.listScripts()).toEqual([{ name: 'we "quote"', active: true }, { name: 'b\\c', active: false }])
    await client.logout()
  })

  it('without STARTTLS in the capabilities, security "starttls" is refused before sending the password', async () => {
    const server = await fake(friendly())
    const error = await failure(ManageSieveClient.open(options(server.port, { security: 'starttls' })))
    expect(error.code).toBe('SIEVE_TLS')
    expect(error.message).toMatch(/does not offer STARTTLS/)
    expect(server.commands).toEqual([])
  })

  it('a server without SASL PLAIN is SIEVE_AUTH, naming what it offers', async () => {
    const server = await fake(friendly(), '"SASL" "GSSAPI"\r\nOK\r\n')
    const error = await failure(ManageSieveClient.open(options(server.port)))
    expect(error.code).toBe('SIEVE_AUTH')
    expect(error.message).toMatch(/does not offer AUTH PLAIN \(SASL: GSSAPI\)/)
  })

  it('nothing listening: SIEVE_CONNECT', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const freePort = (closed.address() as { port: number }).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const error = await failure(ManageSieveClient.open(options(freePort)))
    expect(error.code).toBe('SIEVE_CONNECT')
    expect(error.message).toMatch(/cannot connect/)
  })

  it.each([
    ['a bare LF line end', '"SASL" "PLAIN"\nOK\r\n', /bare LF/],
    ['a line break inside a quoted string', '"SASL" "PLA\r\nIN"\r\nOK\r\n', /line break inside a quoted string/],
    ['a bad literal length', '"SASL" {abc}\r\nOK\r\n', /not a literal length/],
    ['a literal larger than the limit', '"SASL" {99999999999}\r\n', /not a literal length|larger than the limit/],
    ['an unknown escape in a quoted string', '"SASL" "PL\\AIN"\r\nOK\r\n', /only \\" and \\\\ are allowed/],
    ['an unclosed response code', 'OK (WARNINGS "x"\r\n', /not closed with "\)"/],
    ['an atom where the text belongs', 'OK ready\r\n', /where a quoted string or literal belongs/],
    ['a capability line that is not "NAME" "value"', 'SASL PLAIN\r\nOK\r\n', /capability line/],
    ['a control octet', '"SASL" \x01\r\nOK\r\n', /unexpected octet 0x01/]
  ])('a greeting with %s is SIEVE_PROTOCOL', async (_name, greeting, problem) => {
    const server = await fake(friendly(), greeting)
    const error = await failure(ManageSieveClient.open(options(server.port)))
    expect(error.code).toBe('SIEVE_PROTOCOL')
    expect(error.message).toMatch(/broke the ManageSieve protocol \(RFC 5804\)/)
    expect(error.message).toMatch(problem)
  })

  it('the server closing in the middle of a response is SIEVE_CONNECT naming the step', async () => {
    const server = await fake((command, socket) => {
      if (command.startsWith('AUTHENTICATE')) socket.end('"half a line')
    })
    const error = await failure(ManageSieveClient.open(options(server.port)))
    expect(error.code).toBe('SIEVE_CONNECT')
    expect(error.message).toMatch(/closed the connection \(waiting for the response to AUTHENTICATE "PLAIN"\)/)
  })

  it('no response within the command timeout is SIEVE_CONNECT', async () => {
    const server = await fake(() => undefined)
    const error = await failure(ManageSieveClient.open(options(server.port, { timeouts: { commandMs: 200, greetingMs: 1000 } })))
    expect(error.code).toBe('SIEVE_CONNECT')
    expect(error.message).toMatch(/no response to AUTHENTICATE "PLAIN" within 200 ms/)
  })

  it('BYE instead of OK is reported with its text', async () => {
    const server = await fake(friendly(), 'BYE (TRYLATER) "Too many connections"\r\n')
    const error = await failure(ManageSieveClient.open(options(server.port)))
    expect(error.code).toBe('SIEVE_ERROR')
    expect(error.message).toMatch(/answered the greeting with BYE \(TRYLATER\) Too many connections/)
  })
})

describe('ManageSieve response parser', () => {
  it('assembles responses fed one byte at a time, literals included', () => {
    const reader = new ResponseReader()
    const bytes = Buffer.from('"IMPLEMENTATION" "X"\r\n{5}\r\nab\r\nc ACTIVE\r\nOK (TAG {3}\r\nt1\n) "fine"\r\n', 'utf8')
    for (const byte of bytes) reader.push(Buffer.from([byte]))
    const response = reader.take()
    expect(response?.status).toBe('OK')
    expect(response?.code).toEqual(['TAG', 't1\n'])
    expect(response?.message).toBe('fine')
    expect(response?.lines).toEqual([
      [{ kind: 'string', value: 'IMPLEMENTATION' }, { kind: 'string', value: 'X' }],
      [{ kind: 'string', value: 'ab\r\nc' }, { kind: 'atom', value: 'ACTIVE' }]
    ])
    expect(reader.take()).toBeUndefined()
  })

  it('a line with no end beyond 64 KiB is a violation, not an endless buffer', () => {
    expect(() => parseLine(Buffer.from('"' + 'x'.repeat(70 * 1024)), 0)).toThrow(ProtocolViolation)
  })

  it('waits for more bytes on an incomplete line', () => {
    expect(parseLine(Buffer.from('OK "don'), 0)).toBeNull()
    expect(parseLine(Buffer.from('{4}\r\nab'), 0)).toBeNull()
  })
})
