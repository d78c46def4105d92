// strace proof of the commit protocol: `mailroom sendmail` fsyncs the data file, renames it, fsyncs data/, fsyncs the
// envelope, renames it into queued/ and fsyncs queued/, in that order, before it exits 0.
import { readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { checkCommitOrder, parseTrace } from '../../support/crash/fsync-trace'
import { BIN, makeHome, removeHome, requireBuild } from '../../support/mailroom'
import { run } from '../../support/proc'
import { describeWithServers } from '../../support/requirements'

const MESSAGE = 'From: alice@example.org\nTo: bob@example.net\nSubject: fsync proof\n\nHello\n'

describeWithServers('sendmail commit order under strace', ['strace'], () => {
  let home: string
  const traceFile = join(tmpdir(), `mailroom-fsync-${process.pid}.trace`)

  beforeAll(async () => {
    requireBuild()
    home = await makeHome()
  })
  afterAll(async () => {
    await removeHome(home)
    await rm(traceFile, { force: true })
  })

  test('data fsync → rename → data/ fsync → envelope fsync → rename → queued/ fsync, then exit 0', async () => {
    const result = await run('strace', [
      '-f', '-y', '-q', '-o', traceFile, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,openat',
      '-E', `MAILROOM_HOME=${home}`, process.execPath, BIN, 'sendmail', '-t', '-i'
    ], { input: MESSAGE, timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    const queued = await readdir(join(home, 'spool', 'queued'))
    expect(queued).toHaveLength(1)
    const id = (queued[0] as string).replace(/\.json$/, '')
    const trace = await readFile(traceFile, 'utf8')
    const mainPid = Number(/^(\d+)/.exec(trace)?.[1])
    const steps = checkCommitOrder(trace, join(home, 'spool'), id, mainPid)
    expect(steps.map((s) => s.name)).toEqual([
      'fsync of the data file in tmp/', 'rename of the data file into data/', 'fsync of the data/ directory',
      'fsync of the envelope in tmp/', 'rename of the envelope into queued/', 'fsync of the queued/ directory'
    ])
  })
})

// The checker itself must be able to fail: a trace without the final directory fsync, and one with the envelope renamed
// before the data directory was synced.
const SPOOL = '/h/spool'
const good = [
  '100 openat(AT_FDCWD</>, "/h/spool/tmp/100-ID1-1.data", O_WRONLY|O_CREAT) = 19</h/spool/tmp/100-ID1-1.data>',
  '101 fsync(19</h/spool/tmp/100-ID1-1.data> <unfinished ...>',
  '102 openat(AT_FDCWD</>, "/x", O_RDONLY) = 20</x>',
  '101 <... fsync resumed>) = 0',
  '101 rename("/h/spool/tmp/100-ID1-1.data", "/h/spool/data/ID1") = 0',
  '101 fsync(19</h/spool/data>) = 0',
  '101 fsync(19</h/spool/tmp/100-ID1-2.json>) = 0',
  '101 rename("/h/spool/tmp/100-ID1-2.json", "/h/spool/queued/ID1.json") = 0',
  '101 fsync(19</h/spool/queued>) = 0',
  '100 +++ exited with 0 +++'
]

test('the trace checker accepts the right order and names what is wrong otherwise', () => {
  expect(parseTrace(good.join('\n')).calls.find((c) => c.call === 'fsync')?.result).toBe('0')
  expect(checkCommitOrder(good.join('\n'), SPOOL, 'ID1', 100)).toHaveLength(6)
  const noDirSync = good.filter((l) => !l.includes('fsync(19</h/spool/queued>)'))
  expect(() => checkCommitOrder(noDirSync.join('\n'), SPOOL, 'ID1', 100)).toThrow(/fsync of the queued\/ directory: not in the trace/)
  const early = [...good]
  const [envRename] = early.splice(7, 1)
  early.splice(4, 0, envRename as string)
  expect(() => checkCommitOrder(early.join('\n'), SPOOL, 'ID1', 100)).toThrow(/rename of the envelope into queued\/: happens too early/)
  const failed = good.map((l) => l.replace('fsync(19</h/spool/data>) = 0', 'fsync(19</h/spool/data>) = -1 EIO (Input/output error)'))
  expect(() => checkCommitOrder(failed.join('\n'), SPOOL, 'ID1', 100)).toThrow(/data\/ directory: returned -1 EIO/)
  expect(() => checkCommitOrder(good.slice(0, -1).join('\n'), SPOOL, 'ID1', 100)).toThrow(/no exit/)
})
