// "|command" deliveries: stdin, the Postfix-style environment, cwd, output limit, time limit (process group killed), exit codes → outcomes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mailroomBin, PROGRAM_PATH, programResult, resolveMailroomCommand, runProgram, type ProgramRequest } from '../../../src/main/local/program'

let home: string
beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'mailroom-program-test-')) })
afterEach(async () => { await rm(home, { recursive: true, force: true }) })

const request = (command: string, extra: Partial<ProgramRequest> = {}): ProgramRequest => ({
  command, user: { name: 'alice', home, uid: null }, sender: 'bob@remote.test', recipient: 'alice@desk.local', originalRecipient: 'www@desk.local',
  input: Buffer.from('Subject: hi\n\nbody\n'), timeoutMs: 10_000, outputLimit: 1000, mailroomHome: '/tmp/mailroom-home', ...extra
})

describe('runProgram', () => {
  it('gives the message on stdin, runs in the home directory with the local(8) environment', async () => {
    const exit = await runProgram(request('cat > got; pwd; env | sort > env'))
    expect(exit).toEqual({ kind: 'exited', status: 0, output: `${home}\n` })
    expect(await readFile(join(home, 'got'), 'utf8')).toBe('Subject: hi\n\nbody\n')
    const env = Object.fromEntries((await readFile(join(home, 'env'), 'utf8')).trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
    expect(env).toMatchObject({
      SENDER: 'bob@remote.test', RECIPIENT: 'alice@desk.local', ORIGINAL_RECIPIENT: 'www@desk.local', USER: 'alice', LOGNAME: 'alice',
      HOME: home, LOCAL: 'alice', DOMAIN: 'desk.local', EXTENSION: '', SHELL: '/bin/sh', PATH: PROGRAM_PATH, MAILROOM_HOME: '/tmp/mailroom-home'
    })
    // Nothing else of Mailroom's own environment leaks in (only TZ and LANG are passed on).
    for (const name of Object.keys(env)) expect(['SENDER', 'RECIPIENT', 'ORIGINAL_RECIPIENT', 'USER', 'LOGNAME', 'HOME', 'LOCAL', 'DOMAIN', 'EXTENSION', 'SHELL', 'PATH', 'MAILROOM_HOME', 'TZ', 'LANG', 'PWD', 'SHLVL', '_', 'OLDPWD']).toContain(name)
  })

  it('collects stdout and stderr, cut at the output limit, and reports the exit status', async () => {
    const exit = await runProgram(request('echo out; echo err >&2; head -c 5000 /dev/zero | tr "\\0" x; exit 3', { outputLimit: 100 }))
    expect(exit.kind).toBe('exited')
    if (exit.kind !== 'exited') return
    expect(exit.status).toBe(3)
    expect(exit.output.length).toBe(100)
    expect(exit.output).toMatch(/^out\nerr\nx+$/)
  })

  it('puts a shell syntax error into the output', async () => {
    const exit = await runProgram(request('if then fi'))
    expect(exit).toMatchObject({ kind: 'exited', status: 2, output: expect.stringMatching(/syntax error/i) })
  })

  it('does not mind a program that does not read its input', async () => {
    expect(await runProgram(request('exit 0', { input: Buffer.alloc(4 * 1024 * 1024, 'a') }))).toMatchObject({ kind: 'exited', status: 0 })
  })

  it('kills the whole process group at the time limit', async () => {
    const marker = join(home, 'survivor')
    const started = Date.now()
    const exit = await runProgram(request(`(sleep 3; touch ${marker}) & echo started; sleep 30`, { timeoutMs: 300 }))
    expect(exit).toEqual({ kind: 'timeout', output: 'started\n' })
    expect(Date.now() - started).toBeLessThan(5000)
    await new Promise((resolve) => setTimeout(resolve, 3500))
    await expect(readFile(marker)).rejects.toThrow(/ENOENT/)
  }, 15_000)

  it('reports a signal', async () => {
    expect(await runProgram(request('kill -TERM $$'))).toMatchObject({ kind: 'signaled', signal: 'SIGTERM' })
  })

  it.runIf(process.getuid?.() === 0)('runs as the user\'s uid (group of the home directory) when Mailroom runs as root', async () => {
    const exit = await runProgram(request('id -u; id -g', { user: { name: 'nobody', home, uid: 65534 } }))
    expect(exit).toEqual({ kind: 'exited', status: 0, output: '65534\n0\n' })
    expect(await runProgram(request('id -u', { user: { name: 'root', home, uid: 0 } }))).toMatchObject({ output: '0\n' })
  })

  it('runs in / when the home directory does not exist', async () => {
    expect(await runProgram(request('pwd', { user: { name: 'ghost', home: join(home, 'missing'), uid: null } }))).toEqual({ kind: 'exited', status: 0, output: '/\n' })
  })
})

describe('programResult', () => {
  it('maps 0 → sent, 75 and 71 → deferred 4.3.0, 1 → failed 5.3.0 with Postfix wording and the output', () => {
    expect(programResult('true', { kind: 'exited', status: 0, output: '' })).toMatchObject({ status: 'sent' })
    expect(programResult('x', { kind: 'exited', status: 75, output: 'busy\n' })).toMatchObject({ status: 'deferred', enhanced: '4.3.0', text: 'Command died with status 75: "x". Command output: busy' })
    expect(programResult('x', { kind: 'exited', status: 71, output: '' })).toMatchObject({ status: 'deferred', enhanced: '4.3.0' })
    expect(programResult('/bin/false arg', { kind: 'exited', status: 1, output: 'no such\nthing\x07\n' })).toMatchObject({
      status: 'failed', enhanced: '5.3.0', text: 'Command died with status 1: "/bin/false arg". Command output: no such thing', human: expect.stringContaining('exit status 1')
    })
    expect(programResult('x', { kind: 'exited', status: 67, output: '' })).toMatchObject({ status: 'failed', enhanced: '5.1.1', text: 'Command died with status 67: "x"' })
  })

  it('defers a time-out and a program that could not start; bounces a signal', () => {
    expect(programResult('x', { kind: 'timeout', output: '' })).toMatchObject({ status: 'deferred', enhanced: '4.3.0', text: 'Command time limit exceeded: "x"' })
    expect(programResult('x', { kind: 'spawn-error', message: 'EAGAIN' })).toMatchObject({ status: 'deferred', enhanced: '4.3.0' })
    expect(programResult('x', { kind: 'signaled', signal: 'SIGKILL', output: '' })).toMatchObject({ status: 'failed', enhanced: '5.3.0', text: 'Command died with signal SIGKILL: "x"' })
  })
})

describe('the mailroom command', () => {
  it('runs this installation\'s bin/mailroom with the running Node, whatever PATH says', () => {
    const bin = mailroomBin()
    expect(bin).toMatch(/\/bin\/mailroom$/)
    expect(resolveMailroomCommand('mailroom vacation alice', '/opt/m/bin/mailroom')).toEqual({ command: `'${process.execPath}' '/opt/m/bin/mailroom' vacation alice`, ownCli: true })
    expect(resolveMailroomCommand('mailroomx vacation', '/opt/m/bin/mailroom')).toEqual({ command: 'mailroomx vacation', ownCli: false })
    expect(resolveMailroomCommand('/usr/bin/mailroom x', '/opt/m/bin/mailroom').ownCli).toBe(false)
    expect(resolveMailroomCommand("mailroom it's", "/o'd/bin/mailroom").command).toBe(`'${process.execPath}' '/o'\\''d/bin/mailroom' it's`)
  })

  it('really starts it (with PATH not containing it)', async () => {
    await writeFile(join(home, 'x'), '')
    const exit = await runProgram(request('mailroom --version'))
    // 0 and the version with a build in out/; 70 and "not built yet" without one; never 127 (command not found).
    expect(exit).toMatchObject({ kind: 'exited', output: expect.stringMatching(/^mailroom \d+\.\d+\.\d+\n$|not built yet/) })
  })
})
