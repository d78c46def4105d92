// Parsing a message file into the reader's view, in this thread: fields, text/html, attachments, inline images, limits, damage.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseMessageFile } from '../../../src/main/parse/parse-message'
import { MimeGuard, readContentType } from '../../../src/main/parse/mime-guard'
import { writeTortureCorpus } from './mime-torture'

let dir: string
let corpus: Record<string, string>
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-parse-'))
  corpus = await writeTortureCorpus(join(dir, 'torture'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const path = (name: string): string => corpus[name] as string

describe('parseMessageFile', () => {
  it('gives the reader the header fields, the text, a preview and the search text', async () => {
    const m = await parseMessageFile(path('plain.eml'))
    expect(m).toMatchObject({
      subject: 'Grüße', from: 'Alice <alice@example.org>', fromAddress: 'alice@example.org',
      to: ['Bob <bob@example.org>', 'carol@example.org'], cc: [], date: Date.UTC(2026, 10, 24, 10), messageId: '<plain@example.org>',
      inReplyTo: '<a@x>', references: ['<z@x>', '<a@x>'], html: null, attachments: [], problems: [], hasAttachments: false
    })
    expect(m.text).toBe('Hello   Bob,\nhow are you?\n')
    expect(m.preview).toBe('Hello Bob, how are you?')
    expect(m.textForIndex).toBe(m.text)
  })

  it('keeps a small cid: image as a data: URL, lists every attachment with its id, and counts a big one without keeping it', async () => {
    const m = await parseMessageFile(path('inline-image.eml'))
    expect(m.html).toContain('cid:pic1')
    expect(m.inlineImages).toEqual({ pic1: `data:image/png;base64,${Buffer.from('iVBORw0KGgo=', 'base64').toString('base64')}` })
    expect(m.attachments).toEqual([
      { id: '0', filename: 'pic1', contentType: 'image/png', size: 8, contentId: 'pic1', inline: true },
      { id: '1', filename: 'report.pdf', contentType: 'application/pdf', size: 300_000, inline: false }
    ])
    expect(m.hasAttachments).toBe(true)
    const small = await parseMessageFile(path('inline-image.eml'), { maxInlineImageBytes: 4 })
    expect(small.inlineImages).toEqual({})
    expect(small.problems.join('\n')).toMatch(/inline image pic1 \(8 bytes\) is larger than 4 bytes/)
  })

  it('caps the search text and notes a message read only in part', async () => {
    const m = await parseMessageFile(path('long-line-no-newline.eml'), { maxIndexText: 1000, maxReadBytes: 1024 * 1024 })
    expect(m.textForIndex).toHaveLength(1000)
    expect(m.problems[0]).toMatch(/only the first 1048576 were read/)
    expect(m.size).toBeGreaterThan(5 * 1024 * 1024)
  })

  it('stops at the nesting limit (200 levels), noting it, and still shows the headers', async () => {
    const m = await parseMessageFile(path('deep-200.eml'))
    expect(m.subject).toBe('deep')
    expect(m.problems.join('\n')).toMatch(/nested deeper than 32 levels/)
    const chain = await parseMessageFile(path('rfc822-chain-100.eml'))
    expect(chain.subject).toBe('wrap 99')
    expect(chain.problems.join('\n')).toMatch(/nested deeper than 32 levels/)
  })

  it('stops at a 2 MB header and after too many parts', async () => {
    const huge = await parseMessageFile(path('huge-header-2mb.eml'))
    expect(huge.problems.join('\n')).toMatch(/header section is larger than 524288 bytes/)
    expect(huge.subject).toBe('huge')
    expect(huge.from).toBe('a@example.org')
    const parts = await parseMessageFile(path('parts-100k.eml'))
    expect(parts.subject).toBe('many parts')
    expect(parts.problems.join('\n')).toMatch(/more than 2000 MIME parts/)
    expect(parts.attachments.length).toBeLessThanOrEqual(2000)
    expect(parts.attachments.length).toBeGreaterThan(1000)
  })

  for (const name of ['bad-charset.eml', 'broken-base64.eml', 'missing-boundary.eml', 'unclosed-boundary.eml', 'nul-bytes.eml', '8bit-headers.eml', 'no-headers.eml', 'empty.eml', 'many-folded-headers.eml']) {
    it(`does not throw on ${name}`, async () => {
      const m = await parseMessageFile(path(name))
      expect(typeof m.text).toBe('string')
      expect(Array.isArray(m.attachments)).toBe(true)
    })
  }

  it('reads 8-bit headers as UTF-8 and a bad charset without losing the text', async () => {
    expect((await parseMessageFile(path('8bit-headers.eml'))).from).toBe('Jörg <j@example.org>')
    expect((await parseMessageFile(path('bad-charset.eml'))).text).toContain('caf')
    expect((await parseMessageFile(path('unclosed-boundary.eml'))).text).toContain('text that never ends')
  })

  it('reads a delivery status notification into the bounce card data', async () => {
    const file = await writeMessage('dsn.eml', [
      'From: MAILER-DAEMON@mailroom.test', 'To: alice@mailroom.test', 'Subject: Undelivered Mail Returned to Sender', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"', '', '--r', 'Content-Type: text/plain', '', 'It failed.',
      '--r', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mailroom.test', '', 'Final-Recipient: rfc822; bob@remote.test',
      'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 no such user', '', '--r', 'Content-Type: text/rfc822-headers', '',
      'To: bob@remote.test', 'Subject: hello', '', '--r--', ''
    ].join('\r\n'))
    const m = await parseMessageFile(file)
    expect(m.report).toMatchObject({ kind: 'failure', recipients: [{ address: 'bob@remote.test', action: 'failed', status: '5.1.1' }], original: { subject: 'hello' } })
    expect((await parseMessageFile(path('plain.eml'))).report).toBeUndefined()
  })

  it('fails with NOT_FOUND for a missing file', async () => {
    await expect(parseMessageFile(join(dir, 'nope.eml'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('MimeGuard', () => {
  it('reads boundaries quoted, unquoted and with escapes', () => {
    expect(readContentType(' Multipart/Mixed; boundary="a b\\"c"')).toEqual({ type: 'multipart/mixed', boundary: 'a b"c' })
    expect(readContentType('multipart/alternative;\tBOUNDARY=xyz; charset=x')).toEqual({ type: 'multipart/alternative', boundary: 'xyz' })
    expect(readContentType('text/plain')).toEqual({ type: 'text/plain', boundary: null })
  })

  it('passes a message through unchanged however it is cut into chunks', async () => {
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary=q\r\n\r\npre\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q--\r\nepilogue`)
    for (const size of [1, 2, 3, 7, 64, raw.length]) {
      const guard = new MimeGuard({ maxDepth: 5, maxParts: 5, maxHeaderBytes: 1000 })
      const out: Buffer[] = []
      guard.on('data', (c: Buffer) => out.push(c))
      const ended = new Promise((r) => guard.on('end', r))
      for (let i = 0; i < raw.length; i += size) guard.write(raw.subarray(i, i + size))
      guard.end()
      await ended
      expect(Buffer.concat(out).toString()).toBe(raw.toString())
      expect(guard.problem).toBeNull()
      expect(guard.parts).toBe(2)
    }
  })
})

describe('parse time', () => {
  it('parses every torture message in well under the worker timeout here (in-thread)', async () => {
    for (const name of Object.keys(corpus)) {
      const started = Date.now()
      await parseMessageFile(path(name)).catch(() => undefined)
      expect(Date.now() - started, name).toBeLessThan(10_000)
    }
  }, 120_000)
})

export async function writeMessage(name: string, text: string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, text)
  return file
}
