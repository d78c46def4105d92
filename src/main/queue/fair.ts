// Fair dispatch of delivery jobs: a global limit, a limit per destination (recipient domain), and round-robin
// between destinations so one big domain cannot starve the others (Postfix qmgr's idea, in a few lines).

/** The destination of a recipient: its domain, lower-cased (the part after the last @). */
export function destinationOf(address: string): string {
  const at = address.lastIndexOf('@')
  return (at < 0 ? '' : address.slice(at + 1)).toLowerCase()
}

/** Recipients grouped by destination, in order of first appearance. */
export function groupByDestination(recipients: readonly string[]): { destination: string; recipients: string[] }[] {
  const groups = new Map<string, string[]>()
  for (const r of recipients) {
    const d = destinationOf(r)
    const list = groups.get(d)
    if (list === undefined) groups.set(d, [r])
    else list.push(r)
  }
  return [...groups].map(([destination, list]) => ({ destination, recipients: list }))
}

export interface FairLimits {
  global: number
  perDestination: number
}

/**
 * Runs every job, at most `global` at once and at most `perDestination` per destination. Whenever a slot is
 * free the next job is taken from the next destination in turn (round-robin), not from the oldest job overall.
 * `run` must not throw (a throw is reported through `onError` and the slot is freed).
 */
export async function runFair<J extends { destination: string }>(
  jobs: readonly J[], limits: FairLimits, run: (job: J) => Promise<void>, onError: (job: J, error: unknown) => void
): Promise<void> {
  const queues = new Map<string, J[]>()
  for (const job of jobs) {
    const q = queues.get(job.destination)
    if (q === undefined) queues.set(job.destination, [job])
    else q.push(job)
  }
  const order = [...queues.keys()]
  const active = new Map<string, number>()
  const globalLimit = Math.max(1, limits.global)
  const perDestination = Math.max(1, limits.perDestination)
  let running = 0
  let cursor = 0
  let left = jobs.length
  if (left === 0) return
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (running < globalLimit) {
        let picked: J | undefined
        for (let i = 0; i < order.length && picked === undefined; i++) {
          const d = order[(cursor + i) % order.length] as string
          const q = queues.get(d) as J[]
          if (q.length > 0 && (active.get(d) ?? 0) < perDestination) {
            picked = q.shift()
            cursor = (cursor + i + 1) % order.length
          }
        }
        if (picked === undefined) return
        const job = picked
        running += 1
        active.set(job.destination, (active.get(job.destination) ?? 0) + 1)
        const report = (error: unknown): void => {
          try {
            onError(job, error)
          } catch {
            // the error reporter itself failed; the slot is freed all the same
          }
        }
        void run(job).catch(report).finally(() => {
          running -= 1
          active.set(job.destination, (active.get(job.destination) ?? 1) - 1)
          left -= 1
          if (left === 0) resolve()
          else pump()
        })
      }
    }
    pump()
  })
}
