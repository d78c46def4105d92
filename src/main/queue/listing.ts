// Reading the whole spool without holding it in memory: names are listed and sorted, envelopes read one at a time.
import type { SpoolDir } from './envelope'
import { idFromEnvelopeName } from './layout'
import { newestCopy } from './envelope'
import type { Spool, SpoolEntry } from './spool'

const DIRS: readonly SpoolDir[] = ['queued', 'deferred', 'hold']

/** Every message (newest copy when it is in two directories after a crash), in id (= time) order. */
export async function* scanEntries(spool: Spool): AsyncGenerator<SpoolEntry> {
  const dirsById = new Map<string, SpoolDir[]>()
  for (const dir of DIRS) {
    for (const name of await spool.names(dir)) {
      const id = idFromEnvelopeName(name) as string
      const dirs = dirsById.get(id)
      if (dirs === undefined) dirsById.set(id, [dir])
      else dirs.push(dir)
    }
  }
  const ids = [...dirsById.keys()].sort()
  for (const id of ids) {
    const copies: SpoolEntry[] = []
    for (const dir of dirsById.get(id) as SpoolDir[]) {
      const envelope = await spool.readEnvelope(dir, `${id}.json`)
      if (envelope !== null) copies.push({ state: dir, envelope })
    }
    dirsById.delete(id)
    const newest = newestCopy(copies)
    if (newest !== undefined) yield newest
  }
}
