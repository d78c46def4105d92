// `mailroom check-route`: argument parsing, the table people read, and the exit codes.
import { describe, expect, it } from 'vitest'
import { exitCodeFor, formatReport, parseCheckRouteArgs } from '../../../src/main/cli/check-route'
import type { RouteCheckReport } from '../../../src/shared/contract'
import { AppError } from '../../../src/shared/result'

const REPORT: RouteCheckReport = {
  sender: 'alice@example.com',
  localAddress: '203.0.113.5',
  checks: [
    { id: 'port25', title: 'Outgoing port 25', status: 'ok', detail: 'Connected.' },
    { id: 'ptr', title: 'Reverse DNS (PTR)', status: 'warn', detail: 'No PTR.' },
    { id: 'spf', title: 'SPF of the sender domain', status: 'fail', detail: 'Not allowed.' },
    { id: 'smarthost', title: 'Smart host', status: 'skipped', detail: 'None.' }
  ],
  recommendation: 'smarthost',
  advice: 'Use a smart host.'
}

describe('mailroom check-route', () => {
  it('parses --from, --json and --probe-host', () => {
    expect(parseCheckRouteArgs([])).toEqual({ json: false })
    expect(parseCheckRouteArgs(['--from', 'bob@example.com', '--json', '--probe-host', 'mx.example.net']))
      .toEqual({ from: 'bob@example.com', json: true, probeHost: 'mx.example.net' })
    expect(parseCheckRouteArgs(['--from=bob@example.com'])).toMatchObject({ from: 'bob@example.com' })
  })

  it('refuses unknown options, a missing value and a bad address with a usage error (exit 64)', () => {
    for (const argv of [['--frm', 'x'], ['--from'], ['--from', 'not an address']]) {
      let error: unknown
      try { parseCheckRouteArgs(argv) } catch (e) { error = e }
      expect(error).toBeInstanceOf(AppError)
      expect(['INVALID_ARGUMENT', 'INVALID_ADDRESS']).toContain((error as AppError).code)
    }
  })

  it('prints one line per check with ✓ ! ✗ marks, then the recommendation and advice', () => {
    const text = formatReport(REPORT)
    expect(text).toContain("Delivery check for alice@example.com (this computer's address: 203.0.113.5)")
    expect(text).toMatch(/^✓ Outgoing port 25 +Connected\.$/m)
    expect(text).toMatch(/^! Reverse DNS \(PTR\) +No PTR\.$/m)
    expect(text).toMatch(/^✗ SPF of the sender domain +Not allowed\.$/m)
    expect(text).toMatch(/^- Smart host +None\.$/m)
    expect(text).toContain('Recommendation: use a smart host\nUse a smart host.')
  })

  it('exits 0 for direct delivery and 69 (EX_UNAVAILABLE) when a smart host is needed', () => {
    expect(exitCodeFor(REPORT)).toBe(69)
    expect(exitCodeFor({ ...REPORT, recommendation: 'direct' })).toBe(0)
  })
})
