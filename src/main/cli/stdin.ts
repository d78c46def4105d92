// Reads all of stdin for the CLI commands that take a message on it (sendmail, vacation).
import { readSync } from 'node:fs'

/**
 * The whole of stdin. Plain reads of fd 0 spare loading the stream machinery; if stdin turns out to be non-blocking
 * (EAGAIN), what was read so far is kept and the rest comes through the stream, so nothing is lost either way.
 */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = []
  const buffer = Buffer.allocUnsafe(64 * 1024)
  for (;;) {
    let n: number
    try {
      n = readSync(0, buffer, 0, buffer.length, null)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EOF') break
      if (code !== 'EAGAIN') throw error
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      break
    }
    if (n === 0) break
    chunks.push(Buffer.from(buffer.subarray(0, n)))
  }
  return Buffer.concat(chunks)
}
