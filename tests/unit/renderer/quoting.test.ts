// Reply, reply-all and forward: prefixes not doubled, "> " quoting under an attribution line, recipients, References.
import { describe, expect, it } from 'vitest'
import type { MessageView } from '@shared/contract'
import { formatDateTime } from '../../../src/renderer/src/util/format'
import {
  attributionLine,
  forwardDraft,
  forwardSubject,
  MAX_REFERENCES,
  nameOf,
  quoteText,
  replyDraft,
  replyReferences,
  replySubject
} from '../../../src/renderer/src/util/quoting'

const DATE = Date.UTC(2026, 10, 25, 9, 0)

const original: MessageView = {
  uid: 7,
  subject: 'Lunch?',
  from: 'Carol Jones <carol@remote.test>',
  to: ['Me <me@example.org>', 'dave@remote.test'],
  cc: ['erin@remote.test', 'ME@example.org', 'Dave D <DAVE@remote.test>'],
  date: DATE,
  messageId: '<m7@remote.test>',
  references: ['<m1@remote.test>', '<m5@remote.test>'],
  text: 'Shall we meet at noon?\n\n> earlier words\n-- \nCarol\n',
  attachments: []
}

describe('subjects', () => {
  it('adds Re: once, whatever form the old prefixes had', () => {
    expect(replySubject('Lunch?')).toBe('Re: Lunch?')
    expect(replySubject('Re: Lunch?')).toBe('Re: Lunch?')
    expect(replySubject('RE: re:  Aw: Lunch?')).toBe('Re: Lunch?')
    expect(replySubject('Re[2]: Lunch?')).toBe('Re: Lunch?')
    expect(replySubject('Fwd: Lunch?')).toBe('Re: Fwd: Lunch?')
  })

  it('adds Fwd: once', () => {
    expect(forwardSubject('Lunch?')).toBe('Fwd: Lunch?')
    expect(forwardSubject('Fwd: FW: Lunch?')).toBe('Fwd: Lunch?')
    expect(forwardSubject('Re: Lunch?')).toBe('Fwd: Re: Lunch?')
  })
})

describe('quoting', () => {
  it('prefixes every line with "> ", nests quotes, drops the signature', () => {
    expect(quoteText('a\n\n> b\nc\n-- \nsig')).toBe('> a\n>\n>> b\n> c')
  })

  it('attributes the quote to the sender by name, with the date as the reader shows it', () => {
    expect(attributionLine(original)).toBe(`On ${formatDateTime(DATE)}, Carol Jones wrote:`)
    expect(attributionLine({ from: 'x@y.org', date: null })).toBe('x@y.org wrote:')
    expect(nameOf('"Doe, Jane" <jane@x.org>')).toBe('Doe, Jane')
  })
})

describe('reply', () => {
  it('answers the sender, quotes the text and threads the reply', () => {
    const draft = replyDraft(original, ['me@example.org'], false)
    expect(draft.to).toBe('Carol Jones <carol@remote.test>')
    expect(draft.cc).toBe('')
    expect(draft.subject).toBe('Re: Lunch?')
    expect(draft.body).toBe(`\n\nOn ${formatDateTime(DATE)}, Carol Jones wrote:\n> Shall we meet at noon?\n>\n>> earlier words\n`)
    expect(draft.inReplyTo).toBe('<m7@remote.test>')
    expect(draft.references).toEqual(['<m1@remote.test>', '<m5@remote.test>', '<m7@remote.test>'])
  })

  it('prefers Reply-To', () => {
    expect(replyDraft({ ...original, replyTo: ['list@remote.test'] }, [], false).to).toBe('list@remote.test')
  })

  it('reply all adds To and Cc without the user and without repeats (case-insensitive)', () => {
    const draft = replyDraft(original, ['me@example.org'], true)
    expect(draft.to).toBe('Carol Jones <carol@remote.test>')
    expect(draft.cc).toBe('dave@remote.test, erin@remote.test')
  })

  it('a reply to one\'s own message goes to its recipients', () => {
    const mine = { ...original, from: 'Me <me@example.org>' }
    const draft = replyDraft(mine, ['me@example.org'], true)
    expect(draft.to).toBe('dave@remote.test')
    expect(draft.cc).toBe('erin@remote.test')
  })

  it('falls back to In-Reply-To for the chain and caps References, keeping the first', () => {
    expect(replyReferences({ messageId: '<b@x>', inReplyTo: '<a@x>', references: [] })).toEqual(['<a@x>', '<b@x>'])
    const long = Array.from({ length: 300 }, (_, i) => `<r${i}@x>`)
    const refs = replyReferences({ messageId: '<new@x>', references: long, inReplyTo: null })
    expect(refs).toHaveLength(MAX_REFERENCES)
    expect(refs[0]).toBe('<r0@x>')
    expect(refs[refs.length - 1]).toBe('<new@x>')
  })
})

describe('forward', () => {
  it('starts with the original headers block, then the text; no recipients, no threading', () => {
    const draft = forwardDraft(original)
    expect(draft.to).toBe('')
    expect(draft.subject).toBe('Fwd: Lunch?')
    expect(draft.body).toContain('---------- Forwarded message ----------\nFrom: Carol Jones <carol@remote.test>\n')
    expect(draft.body).toContain(`Date: ${formatDateTime(DATE)}\nSubject: Lunch?\nTo: Me <me@example.org>, dave@remote.test\nCc: erin@remote.test`)
    expect(draft.body).toContain('\n\nShall we meet at noon?')
    expect(draft.inReplyTo).toBeNull()
    expect(draft.references).toEqual([])
  })
})
