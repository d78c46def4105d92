// The control socket's generic queue operation: {command:'op', op, args} reaches the queue checked, errors keep their code.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkOpRequest, controlRequest, runQueueOp, startControlServer, type QueueOps } from '../../../src/main/ipc/control'
import { memoryLogger } from '../../../src/main/log/logger'
import { AppError } from '../../../src/shared/result'

function fakeQueue(calls: unknown[][]): QueueOps {
  const record = (name: string) => async (...args: unknown[]) => {
    calls.push([name, ...args])
    if (args[0] === 'missing') throw new AppError('NOT_FOUND', 'missing: no such message in the outbox')
    return name === 'remove' || name === 'undo' ? undefined : { id: args[0], state: 'hold' }
  }
  return {
    hold: record('hold'), release: record('release'), freeze: record('freeze'), thaw: record('thaw'), retryNow: record('retryNow'),
    remove: record('remove'), undo: record('undo'), editRecipients: record('editRecipients'), status: async () => ({ messages: 0 })
  }
}

describe('queue operations over the control socket', () => {
  it('runs each op on the queue with checked arguments and answers its value', async () => {
    const calls: unknown[][] = []
    const queue = fakeQueue(calls)
    const path = join(await mkdtemp(join(tmpdir(), 'mailroom-run-')), 'mailroom.sock')
    const server = await startControlServer(path, async (command, request) => (command === 'op' ? runQueueOp(queue, request) : { pid: 1 }), memoryLogger())
    try {
      expect(await controlRequest(path, 'op', 5000, { op: 'hold', args: ['ID1'] })).toEqual({ ok: true, value: { id: 'ID1', state: 'hold' } })
      expect(await controlRequest(path, 'op', 5000, { op: 'remove', args: ['ID2', { notifySender: true }] })).toEqual({ ok: true })
      expect(await controlRequest(path, 'op', 5000, { op: 'editRecipients', args: ['ID3', ['a@x.test', 'b@x.test']] })).toMatchObject({ ok: true })
      expect(await controlRequest(path, 'op', 5000, { op: 'status', args: [] })).toEqual({ ok: true, value: { messages: 0 } })
      expect(calls).toEqual([['hold', 'ID1'], ['remove', 'ID2', { notifySender: true }], ['editRecipients', 'ID3', ['a@x.test', 'b@x.test']]])
    } finally {
      await server.close()
    }
  })

  it('answers a service error with its code (so the CLI exits 66 for an unknown id), and refuses bad requests before the queue sees them', async () => {
    const calls: unknown[][] = []
    const path = join(await mkdtemp(join(tmpdir(), 'mailroom-run-')), 'mailroom.sock')
    const server = await startControlServer(path, async (_command, request) => runQueueOp(fakeQueue(calls), request), memoryLogger())
    try {
      expect(await controlRequest(path, 'op', 5000, { op: 'thaw', args: ['missing'] })).toEqual({ ok: false, error: 'missing: no such message in the outbox', code: 'NOT_FOUND' })
      expect(await controlRequest(path, 'op', 5000, { op: 'rmrf' as never, args: ['x'] })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', error: 'unknown queue operation rmrf' })
      expect(await controlRequest(path, 'op', 5000, { op: 'hold', args: [] })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
      expect(await controlRequest(path, 'op', 5000, { op: 'editRecipients', args: ['ID', []] })).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' })
      expect(calls).toEqual([['thaw', 'missing']])
    } finally {
      await server.close()
    }
  })

  it('reads notifySender as false unless it is exactly true', () => {
    expect(checkOpRequest({ command: 'op', op: 'remove', args: ['X', { notifySender: 'yes' }] })).toEqual({ op: 'remove', args: ['X', { notifySender: false }] })
    expect(checkOpRequest({ command: 'op', op: 'remove', args: ['X'] })).toEqual({ op: 'remove', args: ['X', { notifySender: false }] })
  })
})
