// Parsing cached message files in the real parse worker (built from the sources): the view, inline images, a large
// attachment counted and saved by streaming (never overwriting), and malformed input that must come back as a view.
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseMessageFile as parseWith, safeFileName, saveAttachmentFromFile as saveWith } from '../../../src/main/imap/message-parse'
import { createMessageParser, type MessageParser } from '../../../src/main/parse'
import { buildParseWorker, type BuiltWorker } from '../parse/build-worker'

let dir: string
let worker: BuiltWorker
let parser: MessageParser
beforeAll(async () => {
  worker = await buildParseWorker()
  parser = createMessageParser({ spawn: worker.spawn, workers: 1, timeoutMs: 2_000 })
}, 60_000)
afterAll(async () => {
  await parser.close()
  await worker.cleanup()
})
const parseMessageFile = (path: string) => parseWith(parser, path)
const saveAttachmentFromFile = (path: string, id: string, dest: { dir: string } | { file: string }) => saveWith(parser, path, id, dest)
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailroom-parse-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

async function bigMessage(path: string, attachmentBytes: number): Promise<void> {
  const out = createWriteStream(path)
  const write = (s: string): Promise<void> => new Promise((resolve) => { if (out.write(s)) resolve(); else out.once('drain', resolve) })
  await write('From: A <a@x.test>\r\nTo: b@x.test\r\nSubject: Big one\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n')
  await write('--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="../../etc/big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n')
  const line = Buffer.alloc(57, 0x61).toString('base64')
  for (let n = 0; n < attachmentBytes; n += 57) await write(`${line}\r\n`)
  await write('--B--\r\n')
  await new Promise<void>((resolve) => out.end(resolve))
}

describe('parseMessageFile', () => {
  it('gives the view with html, cid images as data: URLs and attachment ids', async () => {
    const path = join(dir, 'm.eml')
    await writeFile(path, [
      'From: "Ann Example" <Ann@Example.com>', 'To: b@x.test, "C" <c@x.test>', 'Cc: d@x.test', 'Subject: Hello', 'Message-ID: <m1@x.test>',
      'In-Reply-To: <m0@x.test>', 'References: <r0@x.test> <m0@x.test>', 'Date: Tue, 24 Nov 2026 10:00:00 +0000', 'MIME-Version: 1.0',
      'Content-Type: multipart/related; boundary="R"', '', '--R', 'Content-Type: text/html; charset=utf-8', '', '<p>Hi <img src="cid:px@x"></p>',
      '--R', 'Content-Type: image/png', 'Content-ID: <px@x>', 'Content-Disposition: inline', 'Content-Transfer-Encoding: base64', '', PIXEL.toString('base64'), '--R--', ''
    ].join('\r\n'))
    const { view, hasAttachments } = await parseMessageFile(path)
    expect(view).toMatchObject({
      subject: 'Hello', from: 'Ann Example <Ann@Example.com>', fromAddress: 'ann@example.com', to: ['b@x.test', 'C <c@x.test>'], cc: ['d@x.test'],
      messageId: '<m1@x.test>', inReplyTo: '<m0@x.test>', references: ['<r0@x.test>', '<m0@x.test>'], date: Date.UTC(2026, 10, 24, 10)
    })
    expect(view.html).toContain('cid:px@x')
    expect(view.inlineImages?.['px@x']).toBe(`data:image/png;base64,${PIXEL.toString('base64')}`)
    expect(view.attachments).toEqual([{ id: '0', filename: 'px@x', contentType: 'image/png', size: PIXEL.length, contentId: 'px@x', inline: true }])
    expect(hasAttachments).toBe(false)
  })

  it('counts a 30 MB attachment without keeping it and saves it by streaming, never overwriting', async () => {
    const path = join(dir, 'big.eml')
    const bytes = 30 * 1024 * 1024
    await bigMessage(path, bytes)
    const { view, hasAttachments } = await parseMessageFile(path)
    expect(view.text).toContain('See attached.')
    const size = Math.ceil(bytes / 57) * 57
    expect(view.attachments).toEqual([{ id: '0', filename: '../../etc/big.bin', contentType: 'application/octet-stream', size, inline: false }])
    expect(hasAttachments).toBe(true)
    const first = await saveAttachmentFromFile(path, '0', { dir: join(dir, 'out') })
    expect(first).toEqual({ path: join(dir, 'out', 'big.bin'), size })
    const second = await saveAttachmentFromFile(path, '0', { dir: join(dir, 'out') })
    expect(second.path).toBe(join(dir, 'out', 'big (1).bin'))
    await writeFile(join(dir, 'taken.bin'), 'mine')
    const third = await saveAttachmentFromFile(path, '0', { file: join(dir, 'taken.bin') })
    expect(third.path).toBe(join(dir, 'taken (1).bin'))
    expect(await readFile(join(dir, 'taken.bin'), 'utf8')).toBe('mine')
    expect((await stat(third.path)).size).toBe(size)
    await expect(saveAttachmentFromFile(path, '1', { dir })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(saveAttachmentFromFile(path, 'x', { dir })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(saveAttachmentFromFile(path, '1', { file: join(dir, 'none.bin') })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(stat(join(dir, 'none.bin'))).rejects.toMatchObject({ code: 'ENOENT' })
  }, 60_000)

  it.each([
    ['empty file', ''],
    ['binary garbage', '\u0000\u0001\u0002\u00ff'.repeat(1000)],
    ['no blank line', 'Subject: only headers'],
    ['unclosed multipart', 'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhalf'],
    ['bad encodings', 'Subject: =?x-none?Q?=ZZ?=\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/plain; charset=nope\r\n\r\n!!!\r\n'],
    ['endless header line', `Subject: ${'a'.repeat(2_000_000)}\r\n\r\nbody`]
  ])('%s comes back as a view', async (_name, raw) => {
    const path = join(dir, 'bad.eml')
    await writeFile(path, raw, 'latin1')
    const { view } = await parseMessageFile(path)
    expect(typeof view.text).toBe('string')
    expect(Array.isArray(view.attachments)).toBe(true)
  })

  it('a parse that the worker gives up on (timeout) comes back as a view saying so', async () => {
    const hang = "const p = require('node:worker_threads').parentPort; p.postMessage('ready'); p.on('message', () => { for (;;) {} })"
    const hung = createMessageParser({ spawn: (o) => new Worker(hang, { ...o, eval: true }), workers: 1, timeoutMs: 300 })
    try {
      const path = join(dir, 'm.eml')
      await writeFile(path, 'Subject: x\r\n\r\nbody\r\n')
      const { view, text } = await parseWith(hung, path)
      expect(view.problems?.[0]).toMatch(/could not be read: .*took longer than 300 ms/)
      expect(text).toBe('')
    } finally {
      await hung.close()
    }
  })

  it('a worker that cannot be started fails that read (no hang); the next read starts one', async () => {
    let tries = 0
    const flaky = createMessageParser({ spawn: (o) => { if (tries++ === 0) throw new Error('no threads left'); return worker.spawn(o) }, workers: 1 })
    try {
      const path = join(dir, 'm.eml')
      await writeFile(path, 'Subject: fine\r\n\r\nbody\r\n')
      expect((await parseWith(flaky, path)).view.problems).toEqual([expect.stringContaining('cannot start: no threads left')])
      expect((await parseWith(flaky, path)).view.subject).toBe('fine')
    } finally {
      await flaky.close()
    }
  })

  it('a missing file is NOT_FOUND', async () => {
    await expect(parseMessageFile(join(dir, 'gone.eml'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('safeFileName', () => {
  it.each([['../../etc/passwd', 'passwd'], ['a\u0000b', 'a_b'], ['..', 'attachment'], ['', 'attachment'], ['.hidden', 'hidden'], ['C:\\x\\y.txt', 'y.txt']])('%j → %j', (input, out) => {
    expect(safeFileName(input)).toBe(out)
  })
})
