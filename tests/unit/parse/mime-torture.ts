// Generates the MIME torture corpus into a directory (nothing big is committed): deep nesting, huge headers, very many
// parts, bad charsets, broken base64, missing boundaries, NUL bytes, 8-bit headers, and a plain message for reference.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const CRLF = '\r\n'

function nested(depth: number): string {
  let open = ''
  let close = ''
  for (let i = 0; i < depth; i++) {
    open += `Content-Type: multipart/mixed; boundary="b${i}"${CRLF}${CRLF}--b${i}${CRLF}`
    close = `${CRLF}--b${i}--${CRLF}` + close
  }
  return `From: a@example.org${CRLF}Subject: deep${CRLF}MIME-Version: 1.0${CRLF}${open}Content-Type: text/plain${CRLF}${CRLF}the bottom${close}`
}

function manyParts(count: number): string {
  let body = `From: a@example.org${CRLF}Subject: many parts${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="p"${CRLF}${CRLF}`
  for (let i = 0; i < count; i++) body += `--p${CRLF}Content-Type: application/octet-stream${CRLF}Content-Disposition: attachment; filename="f${i}.bin"${CRLF}${CRLF}x${CRLF}`
  return `${body}--p--${CRLF}`
}

export const TORTURE: Record<string, () => string | Buffer> = {
  'plain.eml': () => `From: Alice <alice@example.org>${CRLF}To: Bob <bob@example.org>, carol@example.org${CRLF}Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=${CRLF}Date: Tue, 24 Nov 2026 10:00:00 +0000${CRLF}Message-ID: <plain@example.org>${CRLF}In-Reply-To: <a@x>${CRLF}References: <z@x> <a@x>${CRLF}${CRLF}Hello   Bob,${CRLF}how are you?${CRLF}`,
  'deep-200.eml': () => nested(200),
  'huge-header-2mb.eml': () => `From: a@example.org${CRLF}Subject: huge${CRLF}X-Long: ${'a'.repeat(2 * 1024 * 1024)}${CRLF}${CRLF}body${CRLF}`,
  'many-folded-headers.eml': () => `From: a@example.org${CRLF}${`X-F: ${'b'.repeat(70)}${CRLF}\t${'c'.repeat(70)}${CRLF}`.repeat(20_000)}Subject: folded${CRLF}${CRLF}body${CRLF}`,
  'parts-100k.eml': () => manyParts(100_000),
  'bad-charset.eml': () => `From: a@example.org${CRLF}Subject: =?x-unknown-charset?B?SGVsbG8=?=${CRLF}Content-Type: text/plain; charset="no-such-charset-42"${CRLF}${CRLF}caf\u00e9${CRLF}`,
  'broken-base64.eml': () => `From: a@example.org${CRLF}Subject: b64${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="x"${CRLF}${CRLF}--x${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}SGVsbG8g!!!d29y*bGQ=====SGk${CRLF}--x${CRLF}Content-Type: image/png${CRLF}Content-Transfer-Encoding: base64${CRLF}Content-Disposition: attachment; filename="a.png"${CRLF}${CRLF}%%%%not base64 at all%%%%${CRLF}--x--${CRLF}`,
  'missing-boundary.eml': () => `From: a@example.org${CRLF}Subject: no boundary${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed${CRLF}${CRLF}--x${CRLF}Content-Type: text/plain${CRLF}${CRLF}text${CRLF}--x--${CRLF}`,
  'unclosed-boundary.eml': () => `From: a@example.org${CRLF}Subject: unclosed${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/mixed; boundary="x"${CRLF}${CRLF}--x${CRLF}Content-Type: text/plain${CRLF}${CRLF}text that never ends`,
  'nul-bytes.eml': () => Buffer.from(`From: a@example.org${CRLF}Subject: nul\0here${CRLF}${CRLF}body\0with\0nuls${CRLF}`, 'latin1'),
  '8bit-headers.eml': () => Buffer.concat([Buffer.from(`From: `), Buffer.from('Jörg <j@example.org>', 'utf8'), Buffer.from(`${CRLF}Subject: `), Buffer.from('caf\xe9 latin1', 'latin1'), Buffer.from(`${CRLF}${CRLF}body${CRLF}`)]),
  'no-headers.eml': () => `just a line of text${CRLF}and another${CRLF}`,
  'empty.eml': () => '',
  'rfc822-chain-100.eml': () => {
    let inner = `From: z@example.org${CRLF}Subject: innermost${CRLF}${CRLF}core${CRLF}`
    for (let i = 0; i < 100; i++) inner = `From: a${i}@example.org${CRLF}Subject: wrap ${i}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}${inner}`
    return inner
  },
  'long-line-no-newline.eml': () => `From: a@example.org${CRLF}Subject: one line${CRLF}${CRLF}${'x'.repeat(5 * 1024 * 1024)}`,
  'inline-image.eml': () => `From: a@example.org${CRLF}Subject: pic${CRLF}MIME-Version: 1.0${CRLF}Content-Type: multipart/related; boundary="r"${CRLF}${CRLF}--r${CRLF}Content-Type: text/html${CRLF}${CRLF}<p>see <img src="cid:pic1"></p>${CRLF}--r${CRLF}Content-Type: image/png${CRLF}Content-ID: <pic1>${CRLF}Content-Transfer-Encoding: base64${CRLF}Content-Disposition: inline${CRLF}${CRLF}iVBORw0KGgo=${CRLF}--r${CRLF}Content-Type: application/pdf${CRLF}Content-Disposition: attachment; filename="report.pdf"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${Buffer.alloc(300_000, 7).toString('base64').replace(/.{76}/g, `$&${CRLF}`)}${CRLF}--r--${CRLF}`
}

export async function writeTortureCorpus(dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true })
  const paths: Record<string, string> = {}
  for (const [name, make] of Object.entries(TORTURE)) {
    const path = join(dir, name)
    await writeFile(path, make())
    paths[name] = path
  }
  return paths
}
