// sendmail's command line, flag by flag, as sendmail and Postfix read it.
import { describe, expect, it } from 'vitest'
import { parseSendmailArgs } from '../../../src/main/cli/sendmail-args'

describe('parseSendmailArgs', () => {
  it('reads -t -i -f and recipients', () => {
    const a = parseSendmailArgs(['-t', '-i', '-f', 'alice@x.test', 'bob@y.test'])
    expect(a).toMatchObject({ mode: 'deliver', extractRecipients: true, ignoreDots: true, sender: 'alice@x.test', recipients: ['bob@y.test'] })
  })

  it('takes joined values (-fbob, -Fname) and -oi, -r as -f', () => {
    expect(parseSendmailArgs(['-falice@x.test', '-FAlice A', '-oi'])).toMatchObject({ sender: 'alice@x.test', fullName: 'Alice A', ignoreDots: true })
    expect(parseSendmailArgs(['-r', 'bob@x.test']).sender).toBe('bob@x.test')
  })

  it('reads -f <> as the null sender', () => {
    expect(parseSendmailArgs(['-f', '<>']).sender).toBe('')
    expect(parseSendmailArgs(['-f<alice@x.test>']).sender).toBe('alice@x.test')
  })

  it('knows the modes -bm -bp -q -bv -bi -I', () => {
    expect(parseSendmailArgs(['-bm']).mode).toBe('deliver')
    expect(parseSendmailArgs(['-bp']).mode).toBe('print-queue')
    expect(parseSendmailArgs(['-q']).mode).toBe('flush')
    expect(parseSendmailArgs(['-bv', 'x@y']).mode).toBe('verify')
    expect(parseSendmailArgs(['-bi']).mode).toBe('init-aliases')
    expect(parseSendmailArgs(['-I']).mode).toBe('init-aliases')
  })

  it('ignores sendmail options that have no meaning here, and says so', () => {
    const a = parseSendmailArgs(['-oem', '-odb', '-N', 'never', '-q15m', '-n', 'bob@y.test'])
    expect(a.ignored).toEqual(['-oem', '-odb', '-N never', '-q15m', '-n'])
    expect(a.recipients).toEqual(['bob@y.test'])
  })

  it('refuses unknown options and -f without a value', () => {
    expect(() => parseSendmailArgs(['-Z'])).toThrow(/unknown option -Z/)
    expect(() => parseSendmailArgs(['-f'])).toThrow(/-f needs a value/)
    expect(() => parseSendmailArgs(['-bz'])).toThrow(/unknown mode -bz/)
    expect(() => parseSendmailArgs(['-bd'])).toThrow(/not supported/)
  })

  it('treats everything after -- as recipients and splits comma lists', () => {
    expect(parseSendmailArgs(['--', '-odd@x.test']).recipients).toEqual(['-odd@x.test'])
    expect(parseSendmailArgs(['a@x.test,b@x.test', 'c@x.test']).recipients).toEqual(['a@x.test', 'b@x.test', 'c@x.test'])
  })
})
