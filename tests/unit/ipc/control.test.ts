// The control socket: commands reach the handler, garbage is refused, and "no daemon" is told apart from a failure.
import { mkdtemp } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { controlRequest, startControlServer } from '../../../src/main/ipc/control'
import { memoryLogger } from '../../../src/main/log/logger'

describe('control socket', () => {
  it('runs commands and answers with their value', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'mailroom-run-')), 'mailroom.sock')
    const server = await startControlServer(path, async (command) => ({ did: command }), memoryLogger())
    expect(await controlRequest(path, 'flush')).toEqual({ ok: true, value: { did: 'flush' } })
    await expect(startControlServer(path, async () => null, memoryLogger())).rejects.toThrow(/already answers/)
    await server.close()
  })

  it('says null when nobody listens, and refuses unknown commands', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'mailroom-run-')), 'mailroom.sock')
    expect(await controlRequest(path, 'ping')).toBeNull()
    const server = await startControlServer(path, async () => 'x', memoryLogger())
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(path)
      let text = ''
      socket.on('data', (d) => (text += d.toString()))
      socket.on('end', () => resolve(text))
      socket.write('{"command":"rm -rf"}\n')
    })
    expect(JSON.parse(reply)).toEqual({ ok: false, error: 'unknown command rm -rf' })
    await server.close()
  })
})
