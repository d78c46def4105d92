// sendmail's command line, option by option, as Postfix's sendmail(1) reads it (getopt clustering, ignored options, conflicts).
import { describe, expect, it } from 'vitest'
import { parseSendmailArgs } from '../../../src/main/cli/sendmail-args'

describe('parseSendmailArgs', () => {
  it('reads -t -i -f and recipients', () => {
    const a = parseSendmailArgs(['-t', '-i', '-f', 'alice@x.test', 'bob@y.test'])
    expect(a).toMatchObject({ mode: 'deliver', extractRecipients: true, ignoreDots: true, sender: 'alice@x.test', recipients: ['bob@y.test'] })
  })

  it('takes joined values (-fbob, -Fname), -oi, -r as -f, and clustered flags (-ti, -tif addr)', () => {
    expect(parseSendmailArgs(['-falice@x.test', '-FAlice A', '-oi'])).toMatchObject({ sender: 'alice@x.test', fullName: 'Alice A', ignoreDots: true })
    expect(parseSendmailArgs(['-r', 'bob@x.test']).sender).toBe('bob@x.test')
    expect(parseSendmailArgs(['-ti', 'c@x.test'])).toMatchObject({ extractRecipients: true, ignoreDots: true, recipients: ['c@x.test'] })
    expect(parseSendmailArgs(['-tif', 'a@x.test'])).toMatchObject({ extractRecipients: true, ignoreDots: true, sender: 'a@x.test', recipients: [] })
  })

  it('reads -f <> (and an empty -f) as the null sender', () => {
    expect(parseSendmailArgs(['-f', '<>']).sender).toBe('')
    expect(parseSendmailArgs(['-f', '']).sender).toBe('')
    expect(parseSendmailArgs(['-f<alice@x.test>']).sender).toBe('alice@x.test')
  })

  it('knows the modes -bm -bp -q -bv -bi -I, and the program name sets the first mode', () => {
    expect(parseSendmailArgs(['-bm']).mode).toBe('deliver')
    expect(parseSendmailArgs(['-bp']).mode).toBe('print-queue')
    expect(parseSendmailArgs(['-q']).mode).toBe('flush')
    expect(parseSendmailArgs(['-bv', 'x@y']).mode).toBe('verify')
    expect(parseSendmailArgs(['-bi']).mode).toBe('init-aliases')
    expect(parseSendmailArgs(['-I']).mode).toBe('init-aliases')
    expect(parseSendmailArgs([], 'print-queue').mode).toBe('print-queue')
    expect(parseSendmailArgs(['-bp'], 'init-aliases').mode).toBe('print-queue')
  })

  it('exits quietly for -bh/-bH and for a queue interval (-q15m), as Postfix does outside daemon mode', () => {
    expect(parseSendmailArgs(['-bh']).mode).toBe('ignore')
    expect(parseSendmailArgs(['-bH']).mode).toBe('ignore')
    const q = parseSendmailArgs(['-q15m', 'bob@y.test'])
    expect(q.mode).toBe('ignore')
    expect(q.ignoreReason).toMatch(/interval/)
  })

  it('ignores the options Postfix ignores, silently (listed for -v)', () => {
    const a = parseSendmailArgs(['-oem', '-odb', '-o7', '-om', '-h', '5', '-L', 'x', '-O', 'a=b', '-U', '-c', '-m', '-x', '-e', 'q', '-A', 'm', '-p', 'smtp', '-G', 'bob@y.test'])
    expect(a.ignored).toEqual(['-oem', '-odb', '-o7', '-om', '-h 5', '-L x', '-O a=b', '-U', '-c', '-m', '-x', '-e q', '-A m', '-p smtp', '-G'])
    expect(a.warnings).toEqual([])
    expect(a.recipients).toEqual(['bob@y.test'])
  })

  it('maps -N, -R and -V to DSN options, and warns (like Postfix) about bad values', () => {
    const a = parseSendmailArgs(['-N', 'failure,delay', '-R', 'hdrs', '-V', 'env-1', 'b@y.test'])
    expect(a.dsn).toEqual({ notify: ['FAILURE', 'DELAY'], ret: 'HDRS', envid: 'env-1' })
    expect(parseSendmailArgs(['-N', 'never']).dsn.notify).toEqual(['NEVER'])
    const bad = parseSendmailArgs(['-N', 'bogus', '-R', 'most', '-V', 'a b', '-N', 'never,success'])
    expect(bad.dsn).toEqual({})
    expect(bad.warnings).toHaveLength(4)
    expect(bad.warnings[0]).toMatch(/bad -N option value/)
    expect(bad.warnings[1]).toMatch(/bad -R option value/)
    expect(bad.warnings[2]).toMatch(/bad syntax in -V/)
    expect(parseSendmailArgs(['-V', 'x'.repeat(101)]).warnings[0]).toMatch(/too long -V/)
  })

  it('warns about options Mailroom cannot honour: -C, -oA, -XV', () => {
    expect(parseSendmailArgs(['-C', '/etc/postfix']).warnings[0]).toMatch(/-C \/etc\/postfix: Mailroom reads its configuration from MAILROOM_HOME/)
    expect(parseSendmailArgs(['-oA/etc/aliases']).warnings[0]).toMatch(/alias file/)
    expect(parseSendmailArgs(['-XV']).warnings[0]).toMatch(/VERP is not supported/)
  })

  it('accepts -B 7BIT / 8BITMIME and refuses other body types', () => {
    expect(parseSendmailArgs(['-B', '8BITMIME']).bodyType).toBe('8BITMIME')
    expect(() => parseSendmailArgs(['-B', '9BIT'])).toThrow(/-B option needs 8BITMIME or 7BIT/)
  })

  it('refuses what Postfix refuses, with its words (usage error, exit 64)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['-Z'], /invalid option -- 'Z'/],
      [['-f'], /option requires an argument -- 'f'/],
      [['-n'], /-n option not supported/],
      [['-bz'], /unsupported: -bz/],
      [['-bd'], /daemon mode.*mailroom daemon/],
      [['-bs'], /SMTP on standard input/],
      [['-X', '/tmp/log'], /unsupported: -X\//],
      [['-oA'], /-oA requires pathname/],
      [['-qS'], /-qS is not implemented/],
      [['-qR'], /specify: -qRsitename/],
      [['-qRexample.org'], /-qR .* not supported/],
      [['-qI'], /specify: -qIqueueid/],
      [['-t', '-bp'], /-t can be used only in delivery mode/],
      [['-bv', '-t'], /-t option cannot be used with -bv/],
      [['-bv', '-N', 'never', 'a@b.test'], /-N option cannot be used with -bv/],
      [['-bp', 'bob@y.test'], /display queue mode requires no recipient/],
      [['-q', 'bob@y.test'], /flush queue mode requires no recipient/],
      [['-bi', 'bob@y.test'], /alias initialization mode requires no recipient/],
      [['-qIABC', 'bob@y.test'], /flush queue_id requires no recipient/]
    ]
    for (const [argv, message] of cases) {
      let error: unknown
      try {
        parseSendmailArgs(argv)
      } catch (e) {
        error = e
      }
      expect(error, argv.join(' ')).toMatchObject({ code: 'INVALID_ARGUMENT' })
      expect((error as Error).message, argv.join(' ')).toMatch(message)
    }
  })

  it('reads -qIid as "deliver this message now"', () => {
    expect(parseSendmailArgs(['-qI01JABCDEF']).flushId).toBe('01JABCDEF')
  })

  it('counts -v and treats everything after -- (or after the first recipient) as recipients, splitting comma lists', () => {
    expect(parseSendmailArgs(['-v', '-v']).verbose).toBe(2)
    expect(parseSendmailArgs(['--', '-odd@x.test']).recipients).toEqual(['-odd@x.test'])
    expect(parseSendmailArgs(['a@x.test,b@x.test', 'c@x.test', '-t']).recipients).toEqual(['a@x.test', 'b@x.test', 'c@x.test', '-t'])
  })
})
