// The per-message trace read back from a maillog file: only that message's lines, in order, from the file's tail.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readMessageTrace } from '../../../src/main/log/trace'

const LINES = [
  '2026-11-25T15:50:24.000Z mailroom/queue[10]: 0AB12CDEF: from=<alice@x.test>, size=420, nrcpt=2, origin=ui',
  '2026-11-25T15:50:24.500Z mailroom/smtp[10]: 0ZZ99YYXX: to=<other@y.test>, relay=none, delay=1.00, dsn=4.4.1, status=deferred (connect to mx: refused)',
  '2026-11-25T15:50:25.000Z mailroom/smtp[10]: 0AB12CDEF: to=<bob@y.test>, relay=mx.y.test[127.0.0.2]:25, delay=0.45, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)',
  'garbage line that is not maillog',
  '2026-11-25T15:50:26.000Z mailroom/queue[10]: 0AB12CDEF: removed'
]

async function maillog(lines: string[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'trace-')), 'maillog')
  await writeFile(file, lines.join('\n') + '\n')
  return file
}

describe('readMessageTrace', () => {
  it('returns only the lines of one message, parsed, oldest first', async () => {
    const trace = await readMessageTrace(await maillog(LINES), '0AB12CDEF')
    expect(trace.map((e) => e.component)).toEqual(['queue', 'smtp', 'queue'])
    expect(trace[1]).toMatchObject({ fields: { to: 'bob@y.test', relay: 'mx.y.test[127.0.0.2]:25', status: 'sent' }, reply: '250 2.0.0 Ok: queued as ABC' })
  })
  it('is empty for an unknown id or a missing maillog', async () => {
    expect(await readMessageTrace(await maillog(LINES), '0NOTTHERE1')).toEqual([])
    expect(await readMessageTrace('/nonexistent/maillog', '0AB12CDEF')).toEqual([])
  })
  it('reads only the tail of a big file and skips the cut first line', async () => {
    const file = await maillog(LINES)
    const trace = await readMessageTrace(file, '0AB12CDEF', 120)
    expect(trace.map((e) => e.text)).toEqual(['0AB12CDEF: removed'])
  })
})
