// `mailroom check-route [--from ADDR] [--json] [--probe-host HOST]`: the preflight as a table; exit 0 when direct delivery
// should work, 69 (EX_UNAVAILABLE) when it will not (use a smart host), 78 on config errors, 64 on bad arguments.
import { checkAddress } from '../../shared/address'
import type { RouteCheckReport } from '../../shared/contract'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { localAddress as defaultLocalAddress } from '../config/identity'
import { loadConfig } from '../config/load'
import { pathsFor, resolveHome } from '../config/paths'
import { DNS_QUERY_TIMEOUT_MS, DNS_TRIES } from '../config/timeouts'
import { validateRoutes } from '../delivery/routes'
import { createResolver } from '../dns/resolver'
import { createLogger } from '../log/logger'
import { createRouteChecker } from '../preflight/checker'

export interface CheckRouteArgs {
  from?: string
  json: boolean
  probeHost?: string
}

export function parseCheckRouteArgs(argv: readonly string[]): CheckRouteArgs {
  const args: CheckRouteArgs = { json: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined || next === '') throw new AppError('INVALID_ARGUMENT', `${arg} needs a value`)
      return next
    }
    if (arg === '--json') args.json = true
    else if (arg === '--from' || arg === '-f') args.from = value()
    else if (arg.startsWith('--from=')) args.from = arg.slice('--from='.length)
    else if (arg === '--probe-host') args.probeHost = value()
    else throw new AppError('INVALID_ARGUMENT', `unknown option "${arg}" (usage: mailroom check-route [--from ADDRESS] [--json] [--probe-host HOST])`)
  }
  if (args.from !== undefined) {
    const check = checkAddress(args.from)
    if (!check.ok) throw new AppError('INVALID_ADDRESS', `--from ${args.from}: not a valid email address (${check.reason})`)
  }
  return args
}

const MARKS: Record<RouteCheckReport['checks'][number]['status'], string> = { ok: '✓', warn: '!', fail: '✗', skipped: '-' }

/** The report as people read it: one line per check with its mark, then the verdict and the advice. */
export function formatReport(report: RouteCheckReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length))
  const lines = [
    `Delivery check for ${report.sender} (this computer's address: ${report.localAddress ?? 'unknown'})`,
    '',
    ...report.checks.map((c) => `${MARKS[c.status]} ${c.title.padEnd(width)}  ${c.detail}`),
    '',
    `Recommendation: ${report.recommendation === 'direct' ? 'deliver directly' : 'use a smart host'}`,
    report.advice
  ]
  return lines.join('\n') + '\n'
}

export function exitCodeFor(report: RouteCheckReport): number {
  return report.recommendation === 'direct' ? EX.OK : EX.UNAVAILABLE
}

export async function runCheckRoute(argv: readonly string[]): Promise<number> {
  const args = parseCheckRouteArgs(argv)
  const paths = pathsFor(resolveHome())
  const config = await loadConfig(paths.config)
  validateRoutes(config, paths.config)
  const log = createLogger({ file: paths.maillog })
  const resolver = createResolver({ servers: config.dns.servers, timeoutMs: DNS_QUERY_TIMEOUT_MS, tries: DNS_TRIES })
  const check = createRouteChecker({ config, resolver, log, ...(args.probeHost !== undefined ? { probeHost: args.probeHost } : {}) })
  // The same default sender as the UI (handlers.ts): the first account, else user@hostname.
  const sender = args.from ?? config.accounts[0]?.email ?? defaultLocalAddress(config)
  const report = await check(sender)
  process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report))
  return exitCodeFor(report)
}
