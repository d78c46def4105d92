// Bodies on demand: the full source of one message is streamed from the server into the cache directory
// (cache/<account>/bodies/…) through a temp file and a rename, never held whole in memory.
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { ImapFlow } from 'imapflow'
import { AppError } from '../../shared/result'

/** Where the source of (folder, uidvalidity, uid) is kept. */
export function bodyPath(bodiesDir: string, folder: string, uidvalidity: number, uid: number): string {
  const folderKey = createHash('sha1').update(folder).digest('hex').slice(0, 12)
  return join(bodiesDir, folderKey, `${uidvalidity}-${uid}.eml`)
}

export async function isCached(path: string | null): Promise<boolean> {
  if (path === null) return false
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/** Downloads the message (the caller holds the folder's mailbox lock) into `target`; NOT_FOUND when it is gone. */
export async function downloadBody(client: ImapFlow, folder: string, uid: number, target: string): Promise<number> {
  const result = await client.download(String(uid), undefined, { uid: true })
  if (result.content === undefined) throw new AppError('NOT_FOUND', `Message ${uid} is no longer in ${folder}`, { uid, mailbox: folder })
  await mkdir(join(target, '..'), { recursive: true, mode: 0o700 })
  const tmp = `${target}.${process.pid}.tmp`
  try {
    await pipeline(result.content, createWriteStream(tmp, { mode: 0o600 }))
    await rename(tmp, target)
  } catch (error) {
    await rm(tmp, { force: true })
    throw error
  }
  return (await stat(target)).size
}
