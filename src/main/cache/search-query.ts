// The search box syntax (from:, to:, subject:, has:attachment, is:unread, before:/after:/older_than:, free words):
// parsed once, then turned into SQL (FTS5 MATCH + WHERE) for the cache and into imapflow criteria for server SEARCH.
import type { SearchObject } from 'imapflow'

export type TextField = 'from' | 'to' | 'subject' | 'text'

export interface SearchQuery {
  /** Words or quoted phrases, each matched as a prefix, per field (text: any field including the body). */
  terms: { field: TextField; value: string }[]
  unread?: boolean
  flagged?: boolean
  hasAttachment?: boolean
  /** Epoch ms, inclusive lower bound / exclusive upper bound on the message date. */
  after?: number
  before?: number
}

const DAY_MS = 86_400_000
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS, m: 30 * DAY_MS, y: 365 * DAY_MS }

/** Splits into tokens: `key:"quoted value"`, `"quoted phrase"`, or runs of non-space; an unclosed quote runs to the end. */
function tokenize(input: string): string[] {
  const tokens: string[] = []
  const pattern = /(\S*?):"([^"]*)"?|"([^"]*)"?|(\S+)/g
  for (const match of input.matchAll(pattern)) {
    if (match[2] !== undefined) tokens.push(`${match[1] ?? ''}:\u0000${match[2]}`)
    else if (match[3] !== undefined) tokens.push(`\u0000${match[3]}`)
    else if (match[4] !== undefined) tokens.push(match[4])
  }
  return tokens
}

/** YYYY-MM-DD (or YYYY/MM/DD) as local midnight; null when it is no real date. */
export function parseDay(value: string): number | null {
  const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$/.exec(value)
  if (m === null) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(y, mo - 1, d)
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null
  return date.getTime()
}

/** "7d", "2w", "3m", "1y", "12h" in ms; null otherwise. */
export function parseAge(value: string): number | null {
  const m = /^(\d{1,5})([hdwmy])$/i.exec(value)
  if (m === null) return null
  return Number(m[1]) * (UNIT_MS[(m[2] as string).toLowerCase()] as number)
}

/** Parses the search box. Anything it does not understand is searched for as words, never an error. */
export function parseSearch(input: string, now: number): SearchQuery {
  const query: SearchQuery = { terms: [] }
  const word = (field: TextField, value: string): void => {
    const trimmed = value.trim()
    if (trimmed !== '') query.terms.push({ field, value: trimmed })
  }
  for (const token of tokenize(input)) {
    if (token.startsWith('\u0000')) {
      word('text', token.slice(1))
      continue
    }
    const colon = token.indexOf(':')
    if (colon <= 0) {
      word('text', token)
      continue
    }
    const key = token.slice(0, colon).toLowerCase()
    const raw = token.slice(colon + 1)
    const value = raw.startsWith('\u0000') ? raw.slice(1) : raw
    const lower = value.toLowerCase()
    if (key === 'from' || key === 'to' || key === 'subject') word(key, value)
    else if (key === 'is' && (lower === 'unread' || lower === 'read')) query.unread = lower === 'unread'
    else if (key === 'is' && (lower === 'flagged' || lower === 'starred')) query.flagged = true
    else if (key === 'has' && (lower === 'attachment' || lower === 'attachments')) query.hasAttachment = true
    else if ((key === 'before' || key === 'after') && parseDay(value) !== null) {
      const day = parseDay(value) as number
      if (key === 'before') query.before = Math.min(query.before ?? Infinity, day)
      else query.after = Math.max(query.after ?? -Infinity, day)
    } else if ((key === 'older_than' || key === 'newer_than') && parseAge(value) !== null) {
      const edge = now - (parseAge(value) as number)
      if (key === 'older_than') query.before = Math.min(query.before ?? Infinity, edge)
      else query.after = Math.max(query.after ?? -Infinity, edge)
    } else word('text', token.replace('\u0000', ''))
  }
  return query
}

export function isEmptyQuery(query: SearchQuery): boolean {
  return query.terms.length === 0 && query.unread === undefined && query.flagged === undefined && query.hasAttachment === undefined &&
    query.after === undefined && query.before === undefined
}

const FTS_COLUMNS: Record<TextField, string | null> = { from: 'from_text', to: 'to_text', subject: 'subject', text: null }

/** One FTS5 string literal: always double-quoted with inner quotes doubled, so operators and syntax in user input stay words. */
export function ftsString(value: string): string {
  return `"${value.replace(/"/g, '""')}"`
}

export interface SqlSearch {
  /** FTS5 MATCH expression, or null when no words were given. */
  match: string | null
  /** Conditions on the messages table (alias m), joined with AND; '1' when there are none. */
  where: string
  params: (string | number)[]
}

/**
 * The cache form: words become prefix phrases `"word"*` (phrases `"two words"*`), restricted to a column with
 * `{col} : …`; every value is a bound parameter or an escaped FTS string, never raw SQL.
 */
export function toSql(query: SearchQuery): SqlSearch {
  const parts: string[] = []
  for (const term of query.terms) {
    // FTS5 tokenizes the phrase itself; characters it drops (punctuation) cannot produce syntax inside quotes.
    if (!/[\p{L}\p{N}]/u.test(term.value)) continue
    const phrase = `${ftsString(term.value)}*`
    const column = FTS_COLUMNS[term.field]
    parts.push(column === null ? phrase : `{${column}} : ${phrase}`)
  }
  const where: string[] = []
  const params: (string | number)[] = []
  if (query.unread !== undefined) where.push(query.unread ? 'm.seen = 0' : 'm.seen = 1')
  if (query.flagged === true) where.push('m.flagged = 1')
  if (query.hasAttachment === true) where.push('m.has_attachments = 1')
  if (query.after !== undefined) {
    where.push('m.date >= ?')
    params.push(query.after)
  }
  if (query.before !== undefined) {
    where.push('m.date < ?')
    params.push(query.before)
  }
  return { match: parts.length === 0 ? null : parts.join(' AND '), where: where.length === 0 ? '1' : where.join(' AND '), params }
}

/** The server form (IMAP SEARCH through imapflow): several words are ANDed by nesting single-operand ORs. */
export function toImapCriteria(query: SearchQuery): SearchObject {
  const criteria: SearchObject = {}
  const extra: SearchObject[] = []
  const key: Record<TextField, 'from' | 'to' | 'subject' | 'text'> = { from: 'from', to: 'to', subject: 'subject', text: 'text' }
  for (const term of query.terms) {
    const k = key[term.field]
    if (criteria[k] === undefined) criteria[k] = term.value
    else extra.push({ [k]: term.value })
  }
  if (query.unread !== undefined) criteria.seen = !query.unread
  if (query.flagged === true) criteria.flagged = true
  // IMAP has no "has attachment" key; the header Content-Type multipart/mixed is the usual approximation.
  if (query.hasAttachment === true) extra.push({ header: { 'content-type': 'multipart/mixed' } } as SearchObject)
  if (query.after !== undefined) criteria.since = new Date(query.after)
  if (query.before !== undefined) criteria.before = new Date(query.before)
  // {a, or:[{b, or:[{c}]}]}: a single-operand OR is just its operand, so this is a AND b AND c.
  let tail: SearchObject | null = null
  for (const item of extra.reverse()) tail = tail === null ? item : { ...item, or: [tail] }
  if (tail !== null) criteria.or = [tail]
  if (Object.keys(criteria).length === 0) criteria.all = true
  return criteria
}
