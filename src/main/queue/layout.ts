// The spool's directory layout and file names: one place that knows where a message's files live.
//   tmp/<pid>-<id>-<n>.<data|json>  being written (the pid tells recovery whose it is)
//   data/<id>                       raw message, immutable
//   queued|deferred|hold/<id>.json  envelope; the directory is the state
//   corrupt/                        unreadable files moved aside, never deleted
import { randomBytes } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { SpoolDir } from './envelope'
import { isErrno, renameIfExists } from '../fsutil/durable'

export interface SpoolLayout {
  root: string
  tmp: string
  data: string
  corrupt: string
  dir(state: SpoolDir): string
  envelopePath(state: SpoolDir, id: string): string
  dataPath(id: string): string
}

export function spoolLayout(root: string): SpoolLayout {
  return {
    root,
    tmp: join(root, 'tmp'),
    data: join(root, 'data'),
    corrupt: join(root, 'corrupt'),
    dir: (state) => join(root, state),
    envelopePath: (state, id) => join(root, state, `${id}.json`),
    dataPath: (id) => join(root, 'data', id)
  }
}

export const ENVELOPE_SUFFIX = '.json'
export const CORRUPT_DATA_SUFFIX = '.data'

/** The id in an envelope file name, or null if the name is not `<id>.json`. */
export function idFromEnvelopeName(name: string): string | null {
  return name.endsWith(ENVELOPE_SUFFIX) ? name.slice(0, -ENVELOPE_SUFFIX.length) : null
}

export function tmpName(id: string, n: number, kind: 'data' | 'json', pid = process.pid): string {
  return `${pid}-${id}-${n}.${kind}`
}

/** The pid that wrote a tmp file, or null when the name is not one of ours. */
export function tmpOwnerPid(name: string): number | null {
  const match = /^(\d+)-[0-9A-Z]+-\d+\.(data|json)$/.exec(name)
  return match === null ? null : Number(match[1])
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

/**
 * Moves a file into corrupt/ under `name`, never overwriting what is already there (a numbered suffix is added).
 * Returns the name used, or null when the source had already gone.
 */
export async function moveToCorrupt(layout: SpoolLayout, from: string, name: string): Promise<string | null> {
  let target = name
  if (await exists(join(layout.corrupt, target))) target = `${name}.${Date.now()}-${randomBytes(3).toString('hex')}`
  return (await renameIfExists(from, join(layout.corrupt, target))) ? target : null
}
