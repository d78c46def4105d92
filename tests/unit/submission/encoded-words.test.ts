// RFC 2047 encoded words without libmime: the From phrase for -F and the Subject shown in mailq/outbox.
import { describe, expect, it } from 'vitest'
import { decodeWords, encodePhrase } from '../../../src/main/submission/encoded-words'

describe('encodePhrase', () => {
  it('leaves plain words alone and quotes other printable ASCII as an RFC 5322 quoted string, escaping quotes and backslashes', () => {
    expect(encodePhrase('Alice Example')).toBe('Alice Example')
    expect(encodePhrase('Alice  Example')).toBe('"Alice  Example"')
    expect(encodePhrase('A. Example')).toBe('"A. Example"')
    expect(encodePhrase('Dr. "Bob" \\ Co')).toBe('"Dr. \\"Bob\\" \\\\ Co"')
  })

  it('encodes anything else as UTF-8 Q words of at most 75 characters that decode back to the name', () => {
    expect(encodePhrase('Jörg Müller')).toBe('=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=')
    const long = 'Ærøskøbing Fährgesellschaft für Überseeverkehr und Ähnliches'
    const encoded = encodePhrase(long)
    for (const word of encoded.split(' ')) expect(word.length).toBeLessThanOrEqual(75)
    expect(decodeWords(encoded)).toBe(long)
    expect(decodeWords(encodePhrase('名前 テスト 😀'))).toBe('名前 テスト 😀')
  })
})

describe('decodeWords', () => {
  it('decodes B and Q words in any charset TextDecoder knows, joining adjacent words', () => {
    expect(decodeWords('=?UTF-8?B?SGVsbG8gd8O2cmxk?=')).toBe('Hello wörld')
    expect(decodeWords('=?ISO-8859-1?Q?Caf=E9?= au lait')).toBe('Café au lait')
    expect(decodeWords('=?utf-8?q?a?= =?utf-8?q?b?=')).toBe('ab')
    expect(decodeWords('plain =?utf-8?q?x_y?= end')).toBe('plain x y end')
  })

  it('leaves malformed words and unknown charsets readable', () => {
    expect(decodeWords('=?utf-8?x?abc?=')).toBe('=?utf-8?x?abc?=')
    expect(decodeWords('=?x-unknown?q?abc?=')).toBe('abc')
  })
})
