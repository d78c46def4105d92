// Saves the Nth attachment of a message file to disk, streamed (never the whole attachment in memory): mode 0600, an
// existing file is never overwritten ("name (1).ext", "name (2).ext", … instead), a half-written file is removed.
import { open, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Writable } from 'node:stream'
import { AppError } from '../../shared/result'
import { streamMessage } from './stream-parser'
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './types'

export interface SavedAttachment {
  /** Where it was written (destPath, or destPath with " (n)" when that name was taken). */
  path: string
  size: number
}

const MAX_NAME_TRIES = 1000

/** destPath, or "name (1).ext", "name (2).ext", … : the first name that does not exist, created exclusively (0600). */
export async function createExclusive(destPath: string): Promise<{ path: string; handle: FileHandle }> {
  const dir = dirname(destPath)
  const ext = extname(destPath)
  const stem = basename(destPath, ext)
  for (let n = 0; n < MAX_NAME_TRIES; n++) {
    const path = n === 0 ? destPath : join(dir, `${stem} (${n})${ext}`)
    try {
      return { path, handle: await open(path, 'wx', 0o600) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  throw new AppError('INVALID_STATE', `${destPath}: ${MAX_NAME_TRIES} files of that name exist already`, { path: destPath })
}

function toHandle(handle: FileHandle, count: (n: number) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      handle.write(chunk).then(() => {
        count(chunk.length)
        done()
      }, done)
    }
  })
}

/**
 * Streams attachment `attachmentId` ("0", "1", … as ParsedMessage.attachments[].id) of the message at sourcePath to
 * destPath. NOT_FOUND when the message has no such attachment (nothing is created).
 */
export async function saveAttachment(sourcePath: string, attachmentId: string | number, destPath: string, limits: Partial<ParseLimits> = {}): Promise<SavedAttachment> {
  const wanted = Number(attachmentId)
  if (!Number.isInteger(wanted) || wanted < 0) throw new AppError('INVALID_ARGUMENT', `"${String(attachmentId)}" is not an attachment id`)
  try {
    await stat(sourcePath)
  } catch (error) {
    throw new AppError('NOT_FOUND', `${sourcePath}: the message file cannot be read: ${(error as Error).message}`, { path: sourcePath }, { cause: error })
  }
  let saved: SavedAttachment | null = null
  let created: string | null = null
  try {
    await streamMessage(sourcePath, { ...DEFAULT_PARSE_LIMITS, ...limits }, {
      attachment: async (attachment, index) => {
        if (index !== wanted) {
          attachment.content.resume()
          await new Promise((resolve) => attachment.content.once('end', resolve))
          return
        }
        let target
        try {
          target = await createExclusive(destPath)
        } catch (error) {
          if (error instanceof AppError) throw error
          throw new AppError('INVALID_ARGUMENT', `${destPath} cannot be created: ${(error as Error).message}`, { path: destPath }, { cause: error })
        }
        const { path, handle } = target
        created = path
        let size = 0
        try {
          await pipeline(attachment.content, toHandle(handle, (n) => (size += n)))
        } finally {
          await handle.close()
        }
        saved = { path, size }
      }
    })
  } catch (error) {
    if (created !== null) await unlink(created).catch(() => undefined)
    if (error instanceof AppError) throw error
    throw new AppError('PARSE_FAILED', `the attachment could not be saved: ${(error as Error).message}`, { path: sourcePath }, { cause: error })
  }
  if (saved === null) throw new AppError('NOT_FOUND', `the message has no attachment ${wanted}`, { path: sourcePath, attachmentId: wanted })
  return saved
}
