// Plain-text display (quote folding, links), mailto: parsing, threads in the list, and the keyboard shortcut map.
import { describe, expect, it } from 'vitest'
import type { MessageSummary } from '@shared/contract'
import { shortcutFor } from '../../../src/renderer/src/composables/useShortcuts'
import { parseMailto } from '../../../src/renderer/src/util/mailto'
import { linkify, textBlocks } from '../../../src/renderer/src/util/plainText'
import { threadRows } from '../../../src/renderer/src/util/threads'

describe('plain text', () => {
  it('finds http(s), www., mailto: and bare addresses, leaving sentence punctuation out', () => {
    expect(linkify('See https://example.org/a?b=1, or www.example.net. Mail bob@example.org!')).toEqual([
      { kind: 'text', text: 'See ' },
      { kind: 'link', text: 'https://example.org/a?b=1', href: 'https://example.org/a?b=1' },
      { kind: 'text', text: ', or ' },
      { kind: 'link', text: 'www.example.net', href: 'https://www.example.net' },
      { kind: 'text', text: '. Mail ' },
      { kind: 'link', text: 'bob@example.org', href: 'mailto:bob@example.org' },
      { kind: 'text', text: '!' }
    ])
    expect(linkify('javascript:alert(1) ftp://x').every((s) => s.kind === 'text')).toBe(true)
  })

  it('folds quoted runs of three lines or more; shorter quotes stay text', () => {
    const blocks = textBlocks('Hi\n> one\n> two\n> three\nBye\n> short')
    expect(blocks.map((b) => [b.kind, b.lines])).toEqual([['text', 1], ['quote', 3], ['text', 2]])
    expect(blocks[1]?.segments.map((s) => s.text).join('')).toBe('> one\n> two\n> three')
  })
})

describe('mailto:', () => {
  it('reads recipients, cc, subject and body (RFC 6068), and refuses other schemes', () => {
    expect(parseMailto('mailto:bob@x.org,carol@x.org?cc=dan@x.org&subject=Hello%20there&body=Line%201%0ALine%202&x-other=1')).toEqual({
      to: 'bob@x.org,carol@x.org', cc: 'dan@x.org', bcc: '', subject: 'Hello there', body: 'Line 1\nLine 2'
    })
    expect(parseMailto('mailto:?to=a@x.org&subject=a%0D%0Ab')).toMatchObject({ to: 'a@x.org', subject: 'a b' })
    expect(parseMailto('https://x.org')).toBeNull()
  })
})

describe('threads', () => {
  const m = (uid: number, date: number, threadId?: string, seen = true): MessageSummary => ({ uid, subject: `s${uid}`, from: 'a@x', date, seen, size: 1, threadId })

  it('shows one row per thread at its newest message, counts and unread, members when expanded', () => {
    const list = [m(1, 100, 't1'), m(2, 300, 't1', false), m(3, 200), m(4, 50, 't1')]
    const rows = threadRows(list, new Set())
    expect(rows.map((r) => [r.message.uid, r.count, r.unread])).toEqual([[2, 3, 1], [3, 1, 0]])
    const open = threadRows(list, new Set(['t:t1']))
    expect(open.map((r) => [r.message.uid, r.depth])).toEqual([[2, 0], [1, 1], [4, 1], [3, 0]])
    expect(threadRows(list, new Set(), false).map((r) => r.message.uid)).toEqual([2, 3, 1, 4])
  })
})

describe('shortcuts', () => {
  const key = (k: string, extra: Partial<KeyboardEvent> = {}): Parameters<typeof shortcutFor>[0] =>
    ({ key: k, ctrlKey: false, metaKey: false, altKey: false, target: document.body, isComposing: false, defaultPrevented: false, ...extra })

  it('maps the documented keys', () => {
    expect(['j', 'k', 'r', 'a', 'f', '#', '/', 'c', 'u'].map((k) => shortcutFor(key(k)))).toEqual([
      'next', 'previous', 'reply', 'replyAll', 'forward', 'delete', 'search', 'compose', 'markUnread'
    ])
    expect(shortcutFor(key('x'))).toBeNull()
  })

  it('never fires while typing, with modifiers, or during IME composition', () => {
    const input = document.createElement('input')
    const area = document.createElement('textarea')
    expect(shortcutFor(key('r', { target: input }))).toBeNull()
    expect(shortcutFor(key('j', { target: area }))).toBeNull()
    expect(shortcutFor(key('r', { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(key('r', { metaKey: true }))).toBeNull()
    expect(shortcutFor(key('c', { isComposing: true }))).toBeNull()
  })
})
