// The search box syntax: table-driven parse cases, the SQL and IMAP forms, and hostile input that must stay words.
import { describe, expect, it } from 'vitest'
import { parseDay, parseSearch, toImapCriteria, toSql, type SearchQuery } from '../../../src/main/cache/search-query'

const NOW = new Date(2026, 10, 25, 12, 0, 0).getTime()
const DAY = 86_400_000

describe('parseSearch', () => {
  const cases: [string, SearchQuery][] = [
    ['', { terms: [] }],
    ['invoice', { terms: [{ field: 'text', value: 'invoice' }] }],
    ['from:alice subject:report', { terms: [{ field: 'from', value: 'alice' }, { field: 'subject', value: 'report' }] }],
    ['FROM:Alice', { terms: [{ field: 'from', value: 'Alice' }] }],
    ['to:bob@example.com', { terms: [{ field: 'to', value: 'bob@example.com' }] }],
    ['subject:"quarterly report" draft', { terms: [{ field: 'subject', value: 'quarterly report' }, { field: 'text', value: 'draft' }] }],
    ['"exact phrase"', { terms: [{ field: 'text', value: 'exact phrase' }] }],
    ['is:unread', { terms: [], unread: true }],
    ['is:read', { terms: [], unread: false }],
    ['is:flagged', { terms: [], flagged: true }],
    ['has:attachment', { terms: [], hasAttachment: true }],
    ['before:2026-01-31', { terms: [], before: new Date(2026, 0, 31).getTime() }],
    ['after:2026/01/01', { terms: [], after: new Date(2026, 0, 1).getTime() }],
    ['older_than:7d', { terms: [], before: NOW - 7 * DAY }],
    ['newer_than:2w', { terms: [], after: NOW - 14 * DAY }],
    ['before:2026-02-30', { terms: [{ field: 'text', value: 'before:2026-02-30' }] }],
    ['older_than:soon', { terms: [{ field: 'text', value: 'older_than:soon' }] }],
    ['colour:red', { terms: [{ field: 'text', value: 'colour:red' }] }],
    ['from:', { terms: [] }],
    ['subject:"unclosed quote', { terms: [{ field: 'subject', value: 'unclosed quote' }] }]
  ]
  it.each(cases)('%j', (input, expected) => {
    expect(parseSearch(input, NOW)).toEqual(expected)
  })

  it('rejects impossible days', () => {
    expect(parseDay('2026-13-01')).toBeNull()
    expect(parseDay('2026-02-29')).toBeNull()
    expect(parseDay('2028-02-29')).not.toBeNull()
  })
})

describe('toSql', () => {
  it('quotes every word as an FTS5 prefix phrase, scoped to its column', () => {
    const sql = toSql(parseSearch('from:alice subject:"q3 report" budget is:unread has:attachment', NOW))
    expect(sql.match).toBe('{from_text} : "alice"* AND {subject} : "q3 report"* AND "budget"*')
    expect(sql.where).toBe('m.seen = 0 AND m.has_attachments = 1')
    expect(sql.params).toEqual([])
  })

  it('binds dates as parameters', () => {
    const sql = toSql(parseSearch('after:2026-01-01 before:2026-02-01', NOW))
    expect(sql.match).toBeNull()
    expect(sql.where).toBe('m.date >= ? AND m.date < ?')
    expect(sql.params).toEqual([new Date(2026, 0, 1).getTime(), new Date(2026, 1, 1).getTime()])
  })

  it.each([
    ['a"b', '"a""b"*'],
    ['NEAR(x y)', '"NEAR(x"* AND "y)"*'],
    ['x OR y', '"x"* AND "OR"* AND "y"*'],
    ["'; DROP TABLE messages; --", '"DROP"* AND "TABLE"* AND "messages;"*'],
    ['{subject}:x', '"{subject}:x"*']
  ])('hostile input %j stays words: %s', (input, match) => {
    expect(toSql(parseSearch(input, NOW)).match).toBe(match)
  })

  it('drops terms with no letters or digits (FTS would see an empty phrase)', () => {
    expect(toSql(parseSearch('* " ^ -', NOW)).match).toBeNull()
  })
})

describe('toImapCriteria', () => {
  it('maps fields, flags and dates', () => {
    const criteria = toImapCriteria(parseSearch('from:alice to:bob subject:hi is:unread after:2026-01-01 before:2026-02-01', NOW))
    expect(criteria).toEqual({ from: 'alice', to: 'bob', subject: 'hi', seen: false, since: new Date(2026, 0, 1), before: new Date(2026, 1, 1) })
  })

  it('ANDs repeated words through nested single-operand ORs', () => {
    expect(toImapCriteria(parseSearch('one two three', NOW))).toEqual({ text: 'one', or: [{ text: 'two', or: [{ text: 'three' }] }] })
  })

  it('matches everything for an empty query', () => {
    expect(toImapCriteria(parseSearch('', NOW))).toEqual({ all: true })
  })
})
