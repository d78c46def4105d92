// sendmail -bv: one sendmail-style line per address, local vs remote, syntax errors as "User unknown".
import { describe, expect, it } from 'vitest'
import { verifyAddress } from '../../../src/main/cli/verify'

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
