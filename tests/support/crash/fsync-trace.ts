// Reads an `strace -f -y -o FILE` trace and checks the spool's commit order for one message (data, rename, dir fsync,
// envelope, rename, dir fsync), all finished with result 0 before the traced process exited with 0.
export interface TraceCall {
  pid: number
  call: string
  args: string
  result: string
}

/** Calls in the order they started; an `<unfinished ...>` call gets its result from its `<... resumed>` line. */
export function parseTrace(text: string): { calls: TraceCall[]; exits: { pid: number; status: string }[] } {
  const calls: TraceCall[] = []
  const exits: { pid: number; status: string }[] = []
  const open = new Map<number, TraceCall>()
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(line)
    if (m === null) continue
    const pid = Number(m[1])
    const rest = m[2] as string
    const exit = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(rest)
    if (exit !== null) {
      exits.push({ pid, status: exit[1] as string })
      continue
    }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)\)\s*=\s*(.*)$/.exec(rest)
    if (resumed !== null) {
      const call = open.get(pid)
      if (call !== undefined) {
        call.args += resumed[2]
        call.result = (resumed[3] as string).trim()
        open.delete(pid)
      }
      continue
    }
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(rest)
    if (unfinished !== null) {
      const call = { pid, call: unfinished[1] as string, args: unfinished[2] as string, result: '?' }
      calls.push(call)
      open.set(pid, call)
      continue
    }
    const whole = /^(\w+)\((.*)\)\s*=\s*(.*)$/.exec(rest)
    if (whole !== null) calls.push({ pid, call: whole[1] as string, args: whole[2] as string, result: (whole[3] as string).trim() })
  }
  return { calls, exits }
}

const ok = (c: TraceCall): boolean => /^0\b/.test(c.result)
const isSync = (c: TraceCall): boolean => c.call === 'fsync' || c.call === 'fdatasync'
const isRename = (c: TraceCall): boolean => c.call === 'rename' || c.call === 'renameat' || c.call === 'renameat2'
/** The path strace -y prints for the fd argument: `19</tmp/x/spool/data>`. */
const fdPath = (c: TraceCall): string => /^\d+<([^>]*)>/.exec(c.args)?.[1] ?? ''

export interface CommitStep {
  name: string
  index: number
}

/**
 * The six steps of the commit of message `id` in spool `spoolDir`, each after the previous one.
 * Throws with a readable explanation when a step is missing, failed, or out of order.
 */
export function checkCommitOrder(text: string, spoolDir: string, id: string, mainPid: number): CommitStep[] {
  const { calls, exits } = parseTrace(text)
  const steps: [string, (c: TraceCall) => boolean][] = [
    ['fsync of the data file in tmp/', (c) => isSync(c) && fdPath(c).startsWith(`${spoolDir}/tmp/`) && fdPath(c).includes(`-${id}-`) && fdPath(c).endsWith('.data')],
    ['rename of the data file into data/', (c) => isRename(c) && c.args.includes(`${spoolDir}/tmp/`) && c.args.includes(`"${spoolDir}/data/${id}"`)],
    ['fsync of the data/ directory', (c) => isSync(c) && fdPath(c) === `${spoolDir}/data`],
    ['fsync of the envelope in tmp/', (c) => isSync(c) && fdPath(c).startsWith(`${spoolDir}/tmp/`) && fdPath(c).includes(`-${id}-`) && fdPath(c).endsWith('.json')],
    ['rename of the envelope into queued/', (c) => isRename(c) && c.args.includes(`"${spoolDir}/queued/${id}.json"`)],
    ['fsync of the queued/ directory', (c) => isSync(c) && fdPath(c) === `${spoolDir}/queued`]
  ]
  const found: CommitStep[] = []
  let from = 0
  for (const [name, match] of steps) {
    const index = calls.findIndex((c, i) => i >= from && match(c))
    if (index < 0) {
      const anywhere = calls.findIndex(match)
      throw new Error(`${name}: ${anywhere < 0 ? 'not in the trace' : `happens too early (call #${anywhere}, before the previous step)`}; steps so far: ${found.map((s) => s.name).join(' → ') || 'none'}`)
    }
    const call = calls[index] as TraceCall
    if (!ok(call)) throw new Error(`${name}: returned ${call.result}`)
    found.push({ name, index })
    from = index + 1
  }
  const exit = exits.find((e) => e.pid === mainPid)
  if (exit === undefined) throw new Error(`no exit of the main process ${mainPid} in the trace`)
  if (exit.status !== '0') throw new Error(`the main process exited with ${exit.status}`)
  return found
}
