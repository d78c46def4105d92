// RFC 2047 encoded words for the submission path (From phrase from -F, Subject for display), without loading libmime.
// libmime costs ~60 ms of start-up per sendmail process; these two small functions are all the submit path needs.

const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g
/** Characters that may stay as they are inside a Q-encoded word in a phrase (RFC 2047 §5 (3)). */
const Q_SAFE = /[A-Za-z0-9!*+\-/]/
/** An encoded word is at most 75 characters (RFC 2047 §2); "=?UTF-8?Q?" + "?=" leave 63 for the text. */
const MAX_WORD_TEXT = 63

/** atext and spaces: a phrase of plain atoms needs no quotes (RFC 5322 §3.2.5), as Postfix writes it. */
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+( [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/

/**
 * A display name ready for a From header: plain words as they are, other printable ASCII as an RFC 5322 quoted string, anything else as
 * UTF-8 Q-encoded words (split so that no word exceeds 75 characters and no character is cut in half).
 */
export function encodePhrase(name: string): string {
  if (PLAIN_PHRASE.test(name)) return name
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}"`
  const words: string[] = []
  let current = ''
  for (const char of name) {
    let encoded = ''
    if (char === ' ') encoded = '_'
    else if (char.length === 1 && Q_SAFE.test(char)) encoded = char
    else for (const byte of Buffer.from(char, 'utf8')) encoded += '=' + byte.toString(16).toUpperCase().padStart(2, '0')
    if (current.length + encoded.length > MAX_WORD_TEXT) {
      words.push(current)
      current = ''
    }
    current += encoded
  }
  if (current !== '') words.push(current)
  return words.map((w) => `=?UTF-8?Q?${w}?=`).join(' ')
}

function decodeBytes(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes)
  } catch {
    // An unknown charset: show the bytes as Latin-1 rather than losing the text.
    return bytes.toString('latin1')
  }
}

function decodeQ(text: string): Buffer {
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (c === '_') bytes.push(0x20)
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(c.charCodeAt(0) & 0xff)
  }
  return Buffer.from(bytes)
}

/** Decodes the encoded words of an unstructured header value; white space between two encoded words is dropped (RFC 2047 §6.2). */
export function decodeWords(value: string): string {
  let out = ''
  let last = 0
  let previousWasWord = false
  for (const match of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, match.index)
    if (!(previousWasWord && /^\s*$/.test(between))) out += between
    const [, charset, encoding, text] = match as unknown as [string, string, string, string]
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQ(text)
    out += decodeBytes(bytes, charset)
    last = (match.index ?? 0) + match[0].length
    previousWasWord = true
  }
  return out + value.slice(last)
}
