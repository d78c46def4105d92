// Plain-text mail for display: quoted runs ("> …") folded into blocks, and URLs / mailto: / addresses found as links.
export interface TextSegment {
  kind: 'text' | 'link'
  text: string
  /** For links: http(s): or mailto: only. */
  href?: string
}

export interface TextBlock {
  kind: 'text' | 'quote'
  /** Quoted blocks: how many lines, for "Show quoted text (12 lines)". */
  lines: number
  segments: TextSegment[]
}

/** Quoted runs this short stay open: folding two lines saves nothing. */
export const FOLD_MIN_LINES = 3

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"]+|\bmailto:[^\s<>"]+|\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g
/** Punctuation that ends a sentence more often than a URL. */
const TRAILING = /[.,;:!?)\]}'»]+$/

function hrefFor(match: string): string {
  if (/^https?:\/\//i.test(match) || /^mailto:/i.test(match)) return match
  if (/^www\./i.test(match)) return `https://${match}`
  return `mailto:${match}`
}

/** Splits text into plain runs and links (http(s), www., mailto:, bare addresses). */
export function linkify(text: string): TextSegment[] {
  const segments: TextSegment[] = []
  let last = 0
  for (const found of text.matchAll(LINK)) {
    let match = found[0]
    const start = found.index ?? 0
    // "(see https://x.org/a)" keeps its ")" only when the URL opened one.
    const trailing = TRAILING.exec(match)?.[0] ?? ''
    if (trailing !== '' && !(trailing.startsWith(')') && match.includes('('))) match = match.slice(0, match.length - trailing.length)
    if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) })
    segments.push({ kind: 'link', text: match, href: hrefFor(match) })
    last = start + match.length
  }
  if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) })
  return segments
}

/** Groups lines into text and quote blocks (a quote block is a run of lines starting with ">"). */
export function textBlocks(text: string): TextBlock[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const blocks: Array<{ kind: TextBlock['kind']; lines: string[] }> = []
  for (const line of lines) {
    const kind: TextBlock['kind'] = line.startsWith('>') ? 'quote' : 'text'
    const current = blocks[blocks.length - 1]
    if (current !== undefined && current.kind === kind) current.lines.push(line)
    else blocks.push({ kind, lines: [line] })
  }
  return blocks.map((b) => {
    // Short quotes read as text; they are not worth a fold.
    const kind = b.kind === 'quote' && b.lines.length < FOLD_MIN_LINES ? 'text' : b.kind
    return { kind, lines: b.lines.length, segments: linkify(b.lines.join('\n')) }
  }).reduce<TextBlock[]>((merged, block) => {
    const previous = merged[merged.length - 1]
    if (previous !== undefined && previous.kind === 'text' && block.kind === 'text') {
      previous.segments.push({ kind: 'text', text: '\n' }, ...block.segments)
      previous.lines += block.lines
    } else {
      merged.push(block)
    }
    return merged
  }, [])
}
