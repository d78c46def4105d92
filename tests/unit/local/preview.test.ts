// The expansion preview in words: targets with the lines that led to them, problems with their codes, warnings.
import { describe, expect, it } from 'vitest'
import type { Expansion } from '../../../src/main/local/expansion-types'
import { describeExpansion } from '../../../src/main/local/preview'

describe('describeExpansion', () => {
  it('names each target and the file lines on the way, sharing the file name between consecutive steps', () => {
    const expansion: Expansion = {
      recipient: 'www@localhost',
      targets: [
        { target: { kind: 'mailbox', user: 'alice' }, via: [
          { source: 'aliases', file: '/h/etc/aliases', line: 24, from: 'www', to: 'webmaster' },
          { source: 'aliases', file: '/h/etc/aliases', line: 25, from: 'webmaster', to: 'root' },
          { source: 'aliases', file: '/h/etc/aliases', line: 28, from: 'root', to: 'alice' },
          { source: 'forward', file: '/home/alice/.forward', line: 1, from: 'alice', to: '\\alice' }
        ] },
        { target: { kind: 'program', command: 'mailroom vacation alice', user: 'alice' }, via: [] }
      ],
      problems: [],
      warnings: ['aliases database is out of date']
    }
    const description = describeExpansion(expansion)
    expect(description.summary).toBe('mail for www@localhost goes to: alice\'s mailbox — via aliases line 24 (www → webmaster), line 25 (webmaster → root), line 28 (root → alice), alice\'s .forward line 1 (alice → \\alice); the program "mailroom vacation alice" (run as alice) (directly)')
    expect(description.lines).toHaveLength(3)
    expect(description.lines[2]).toBe('warning: aliases database is out of date')
  })

  it('says why mail cannot be delivered', () => {
    const description = describeExpansion({
      recipient: 'zed@localhost', targets: [], warnings: [],
      problems: [{ address: 'zed@localhost', kind: 'unknown-user', message: 'zed is neither a local user nor an alias', permanent: true, enhanced: '5.1.1', via: [] }]
    })
    expect(description.summary).toBe('mail for zed@localhost bounces (5.1.1): zed is neither a local user nor an alias')
    expect(describeExpansion({ recipient: 'a@b', targets: [], problems: [], warnings: [] }).summary).toBe('mail for a@b goes nowhere (the expansion is empty)')
  })
})
