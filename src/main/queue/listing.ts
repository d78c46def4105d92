// Reading the whole spool without holding it in memory: names are listed and sorted, envelopes read one at a time.
import type { SpoolDir } from './envelope'
import { idFromEnvelopeName } from './layout'
import { newestCopy } from './envelope'
import type { Envelope } from './envelope'

/** One message as the spool holds it: the directory its envelope is in (its state) and the envelope. */
export interface SpoolEntry {
  /** The directory the envelope is in: the message's state. */
  state: SpoolDir
  envelope: Envelope
}

/** What a scan needs of the spool (structural, so this module does not import spool.ts, which imports it). */
export interface SpoolReader {
  names(dir: SpoolDir): Promise<string[]>
  readEnvelope(dir: SpoolDir, name: string): Promise<Envelope | null>
}

const DIRS: readonly SpoolDir[] = ['queued', 'deferred', 'hold']

/** Every message (newest copy when it is in two directories after a crash), in id (= time) order. */
export async function* scanEntries(spool: SpoolReader): AsyncGenerator<SpoolEntry> {
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
