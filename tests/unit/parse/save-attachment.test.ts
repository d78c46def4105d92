// Saving an attachment: streamed to a new file (0600), never over an existing one, the right bytes, clear errors.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { saveAttachment } from '../../../src/main/parse/index'
import { writeTortureCorpus } from './mime-torture'

let dir: string
let corpus: Record<string, string>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-save-'))
  corpus = await writeTortureCorpus(join(dir, 'torture'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('saveAttachment', () => {
  it('writes the Nth attachment byte for byte with mode 0600, and "name (1).pdf" when the name is taken', async () => {
    const out = join(dir, 'out')
    await rm(out, { recursive: true, force: true })
    await import('node:fs/promises').then((fs) => fs.mkdir(out))
    const first = await saveAttachment(corpus['inline-image.eml'] as string, '1', join(out, 'report.pdf'))
    expect(first).toEqual({ path: join(out, 'report.pdf'), size: 300_000 })
    expect(await readFile(first.path)).toEqual(Buffer.alloc(300_000, 7))
    expect((await stat(first.path)).mode & 0o777).toBe(0o600)
    const second = await saveAttachment(corpus['inline-image.eml'] as string, 1, join(out, 'report.pdf'))
    expect(second.path).toBe(join(out, 'report (1).pdf'))
    await writeFile(join(out, 'pic.png'), 'mine')
    const pic = await saveAttachment(corpus['inline-image.eml'] as string, '0', join(out, 'pic.png'))
    expect(pic).toEqual({ path: join(out, 'pic (1).png'), size: 8 })
    expect(await readFile(join(out, 'pic.png'), 'utf8')).toBe('mine')
  })

  it('fails with NOT_FOUND for an attachment the message does not have, creating nothing', async () => {
    const out = await mkdtemp(join(dir, 'none-'))
    await expect(saveAttachment(corpus['inline-image.eml'] as string, '7', join(out, 'x.bin'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(saveAttachment(corpus['plain.eml'] as string, '0', join(out, 'x.bin'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(saveAttachment(join(dir, 'missing.eml'), '0', join(out, 'x.bin'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(saveAttachment(corpus['plain.eml'] as string, '-1', join(out, 'x.bin'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(await readdir(out)).toEqual([])
  })

  it('says why when the destination cannot be created', async () => {
    await expect(saveAttachment(corpus['inline-image.eml'] as string, '1', join(dir, 'no-such-dir', 'r.pdf'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/cannot be created/) })
  })

  it('saves an attachment of a damaged message as far as it decodes', async () => {
    const out = await mkdtemp(join(dir, 'broken-'))
    const saved = await saveAttachment(corpus['broken-base64.eml'] as string, '0', join(out, 'a.png'))
    expect(saved.path).toBe(join(out, 'a.png'))
  })
})
