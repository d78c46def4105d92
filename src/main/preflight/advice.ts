// Preflight verdict: direct delivery or a smart host, and the advice in plain words (what is wrong, what to change in config.json).
import type { RouteCheckReport } from '../../shared/contract'
import type { RouteCheck } from './types'

/** The checks that decide whether direct delivery works; the smart host check only adds to the advice. */
const DIRECT_CHECKS = new Set<RouteCheck['id']>(['port25', 'ptr', 'spf', 'dns'])

const HOW_TO_SMARTHOST =
  'To use a smart host, add it to "routes" in config.json, e.g. "routes": { "default": [ { "type": "smarthost", "host": "smtp.example.com", ' +
  '"port": 587, "auth": { "user": "you@example.com", "password": "…" } } ] } (your mail provider tells you the host, port and login; ' +
  'see "routes" and "identities" in the README). A route may keep { "type": "direct" } first: the smart host is then used only when direct delivery cannot connect at all.'

export function recommend(checks: RouteCheck[]): Pick<RouteCheckReport, 'recommendation' | 'advice'> {
  const byId = new Map(checks.map((c) => [c.id, c]))
  const port25 = byId.get('port25')
  const directProblems = checks.filter((c) => DIRECT_CHECKS.has(c.id) && c.status === 'fail')
  const warnings = checks.filter((c) => DIRECT_CHECKS.has(c.id) && c.status === 'warn')
  const smarthost = byId.get('smarthost')
  const smarthostNote = smarthost?.status === 'fail'
    ? ` Your configured smart host has a problem too: ${smarthost.detail}`
    : smarthost?.status === 'ok' ? ' Your configured smart host answers, so mail can go out through it.' : ''

  if (port25?.status === 'ok' && directProblems.length === 0) {
    const advice = warnings.length === 0
      ? 'Direct delivery should work: this computer can reach other mail servers on port 25, and its address passes the reverse DNS and SPF checks receivers use against spam.'
      : `Direct delivery can work, but some receivers may put your mail in spam: ${warnings.map((w) => w.title).join(', ')} ${warnings.length === 1 ? 'needs' : 'need'} attention (see above). ` +
        `If that happens, send through your mail provider's smart host instead. ${HOW_TO_SMARTHOST}`
    return { recommendation: 'direct', advice: advice + smarthostNote }
  }
  const reason = port25?.status === 'fail'
    ? 'Direct delivery will not work from here: this computer cannot open connections to other mail servers on port 25.'
    : port25 === undefined || port25.status !== 'ok'
      ? 'Mailroom could not test whether this computer can reach other mail servers on port 25 (see above), so direct delivery may not work.'
      : `Direct delivery would likely be refused or end up in spam: ${directProblems.map((p) => p.title).join(', ')} failed (see above).`
  return {
    recommendation: 'smarthost',
    advice: `${reason} Receivers trust mail that comes from a server with matching reverse DNS and an SPF record that lists it; a home or office connection rarely has either, so send through your mail provider's smart host. ${HOW_TO_SMARTHOST}${smarthostNote}`
  }
}
