// Composer attachments: the size limit, checked before reading, and files read as base64 for compose.send.
import { formatSize } from './format'

/** All attachments of one message together (before base64): well inside the 25 MB message and 64 MB frame limits. */
export const MAX_ATTACHMENTS_BYTES = 15 * 1024 * 1024

export interface ComposeAttachment {
  id: string
  filename: string
  contentType: string
  size: number
  contentBase64: string
}

let nextId = 0

/** Null when `files` fit beside what is attached already; else a sentence naming the file and the limit. */
export function checkAttachments(attached: readonly Pick<ComposeAttachment, 'size'>[], files: ReadonlyArray<Pick<File, 'name' | 'size'>>): string | null {
  let total = attached.reduce((sum, a) => sum + a.size, 0)
  for (const file of files) {
    total += file.size
    if (total > MAX_ATTACHMENTS_BYTES) {
      return `"${file.name}" (${formatSize(file.size)}) was not attached: attachments may add up to ${formatSize(MAX_ATTACHMENTS_BYTES)} per message.`
    }
  }
  return null
}

/** base64 of bytes, in chunks (String.fromCharCode on a whole file would overflow the call stack). */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  return btoa(binary)
}

export async function readAttachment(file: File): Promise<ComposeAttachment> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  nextId += 1
  return {
    id: `a${nextId}`,
    filename: file.name.slice(0, 255) || 'attachment',
    contentType: file.type || 'application/octet-stream',
    size: bytes.length,
    contentBase64: toBase64(bytes)
  }
}
