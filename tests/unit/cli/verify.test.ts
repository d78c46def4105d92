// sendmail -bv: one sendmail-style line per address or final target (after aliases and .forward), syntax errors as "User unknown".
import { describe, expect, it } from 'vitest'
import { expansionLines, verifyAddress } from '../../../src/main/cli/verify'
import type { Expansion, ExpansionStep } from '../../../src/main/local/expansion-types'

const local = (domain: string): boolean => domain === 'mailroom.test' || domain === 'localhost'

describe('verifyAddress', () => {
  it('names the esmtp mailer and the domain for a remote address', () => {
    expect(verifyAddress('bob@Remote.Test', 'mailroom.test', local)).toEqual({
      input: 'bob@Remote.Test', ok: true, text: 'bob@Remote.Test... deliverable: mailer esmtp, host remote.test, user bob@Remote.Test'
    })
  })

  it('names the local mailer for a local domain, and qualifies bare names with the host name', () => {
    expect(verifyAddress('root', 'mailroom.test', local).text).toBe('root@mailroom.test... deliverable: mailer local, user root')
    expect(verifyAddress('<alice@localhost>', 'mailroom.test', local).text).toBe('alice@localhost... deliverable: mailer local, user alice')
  })

  it('says User unknown with the syntax problem for an invalid address', () => {
    const line = verifyAddress('bob@@x.test', 'mailroom.test', local)
    expect(line.ok).toBe(false)
    expect(line.text).toMatch(/^bob@@x\.test\.\.\. User unknown \(syntax error: /)
    expect(verifyAddress('a..b@x.test', 'mailroom.test', local).ok).toBe(false)
    expect(verifyAddress('<>', 'mailroom.test', local).text).toBe('<>... User address required')
  })
})

describe('expansionLines (-bv after aliases and .forward)', () => {
  const step = (from: string, to: string, line: number): ExpansionStep => ({ source: 'aliases', file: '/h/etc/aliases', line, from, to })

  it('prints one sendmail-style line per final target with the way it was reached', () => {
    const expansion: Expansion = {
      recipient: 'www@localhost',
      targets: [
        { target: { kind: 'mailbox', user: 'root' }, via: [step('www', 'webmaster', 24), step('webmaster', 'root', 25)] },
        { target: { kind: 'program', command: '/bin/cat -n', user: 'root' }, via: [step('www', '"|/bin/cat -n"', 24)] },
        { target: { kind: 'file', path: '/tmp/x', user: 'root' }, via: [step('www', '/tmp/x', 24)] },
        { target: { kind: 'remote', address: 'bob@Remote.Test' }, via: [{ source: 'forward', file: '/root/.forward', line: 1, from: 'root', to: 'bob@Remote.Test' }] }
      ],
      problems: [],
      warnings: []
    }
    expect(expansionLines('www@localhost', expansion)).toEqual({
      exit: 0,
      lines: [
        'www@localhost... deliverable: mailer local, user root (via aliases: www → webmaster → root)',
        'www@localhost... deliverable: mailer prog, command /bin/cat -n, user root (via aliases: www → "|/bin/cat -n")',
        'www@localhost... deliverable: mailer file, path /tmp/x, user root (via aliases: www → /tmp/x)',
        'www@localhost... deliverable: mailer esmtp, host remote.test, user bob@Remote.Test (via .forward: root → bob@Remote.Test)'
      ]
    })
  })

  it('says User unknown with exit 67, a loop as undeliverable 5.4.6, and a deferral with exit 75', () => {
    const base = { recipient: 'x@localhost', targets: [], warnings: [] }
    const unknown = expansionLines('x@localhost', { ...base, problems: [{ address: 'x@localhost', kind: 'unknown-user', message: 'x is neither a local user nor an alias', permanent: true, enhanced: '5.1.1', via: [] }] })
    expect(unknown).toEqual({ exit: 67, lines: ['x@localhost... User unknown (x is neither a local user nor an alias)'] })
    const loop = expansionLines('x@localhost', { ...base, problems: [{ address: 'x@localhost', kind: 'loop', message: 'x → y → x is an aliasing/forwarding loop', permanent: true, enhanced: '5.4.6', via: [] }] })
    expect(loop).toEqual({ exit: 67, lines: ['x@localhost... undeliverable: 5.4.6 x → y → x is an aliasing/forwarding loop'] })
    const later = expansionLines('x@localhost', { ...base, problems: [{ address: 'x@localhost', kind: 'unreadable', message: 'cannot be read', permanent: false, enhanced: '4.3.0', via: [] }] })
    expect(later.exit).toBe(75)
  })
})
