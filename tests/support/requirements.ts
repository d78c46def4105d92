// Which real servers a suite needs: skip loudly when they are missing locally, fail under CI (CI=true).
import { describe, test } from 'vitest'
import { findExecutable } from './proc'

/** Debian packages that provide each tool ("root" is not a package: the suite must run as root). */
const PACKAGES: Record<string, string[]> = {
  postfix: ['postfix'],
  'smtp-sink': ['postfix'],
  'smtp-source': ['postfix'],
  postqueue: ['postfix'],
  dovecot: ['dovecot-imapd', 'dovecot-lmtpd', 'dovecot-sieve', 'dovecot-managesieved'],
  doveadm: ['dovecot-core'],
  dnsmasq: ['dnsmasq-base'],
  chromium: ['chromium'],
  'xvfb-run': ['xvfb'],
  openssl: ['openssl'],
  ss: ['iproute2'],
  swaks: ['swaks'],
  faketime: ['faketime'],
  'fiu-run': ['fiu-utils']
}

/** Tools that the server helpers call besides the daemon itself. */
const COMPANIONS: Record<string, string[]> = {
  postfix: ['openssl'],
  dovecot: ['openssl']
}

/**
 * The tools from `names` that are not available: executables looked up in $PATH plus the sbin
 * directories, and the pseudo-tool "root" meaning the process runs as uid 0.
 */
export function missingTools(names: string[]): string[] {
  const wanted = [...new Set(names.flatMap((name) => [name, ...(COMPANIONS[name] ?? [])]))]
  return wanted.filter((name) => (name === 'root' ? process.getuid?.() !== 0 : findExecutable(name) === undefined))
}

/** "apt-get install …" for the missing tools, plus a note when root is missing. */
export function installHint(missing: string[]): string {
  const packages = [...new Set(missing.filter((m) => m !== 'root').flatMap((m) => PACKAGES[m] ?? [m]))]
  const parts: string[] = []
  if (packages.length > 0) parts.push(`install with: apt-get install -y --no-install-recommends ${packages.join(' ')}`)
  if (missing.includes('root')) parts.push('run as root (the servers bind 127.x.y.z:25 and switch users)')
  return parts.join('; ')
}

/** "missing postfix, dnsmasq — install with: apt-get install …" */
export function missingMessage(missing: string[]): string {
  return `missing ${missing.join(', ')} — ${installHint(missing)}`
}

const isCI = (): boolean => process.env.CI === 'true'

function warn(title: string, missing: string[]): void {
  const line = `SKIPPED ${title}: ${missingMessage(missing)}`
  const bar = '!'.repeat(Math.min(line.length, 100))
  process.stderr.write(`\n${bar}\n${line}\n${bar}\n\n`)
}

/**
 * A vitest describe for suites that need real servers. With every tool present it is a plain describe.
 * When some are missing: under CI one failing test names them (a CI machine must have them);
 * locally a loud warning goes to stderr and the suite is registered as skipped.
 */
export function describeWithServers(title: string, tools: string[], fn: () => void): void {
  const missing = missingTools(tools)
  if (missing.length === 0) {
    describe(title, fn)
  } else if (isCI()) {
    describe(title, () => {
      test('required servers are installed', () => {
        throw new Error(`${title}: ${missingMessage(missing)} (CI=true: servers must be installed, not skipped)`)
      })
    })
  } else {
    warn(title, missing)
    describe.skipIf(true)(title, fn)
  }
}

/**
 * For Playwright files: `const req = playwrightRequirement(['chromium', 'postfix']); test.skip(req.skip, req.reason)`.
 * Throws under CI when something is missing (the run must fail, not skip); warns loudly when skipping locally.
 */
export function playwrightRequirement(tools: string[], title = 'browser suite'): { skip: boolean; reason: string } {
  const missing = missingTools(tools)
  if (missing.length === 0) return { skip: false, reason: '' }
  if (isCI()) throw new Error(`${title}: ${missingMessage(missing)} (CI=true: servers must be installed, not skipped)`)
  warn(title, missing)
  return { skip: true, reason: missingMessage(missing) }
}

/** Same check for any runner: throws under CI, returns the skip reason locally (undefined when all is there). */
export function requireServersOrSkip(tools: string[], title = 'suite'): string | undefined {
  const { skip, reason } = playwrightRequirement(tools, title)
  return skip ? reason : undefined
}

/**
 * Like describeWithServers for a capability found by probing rather than by an executable (e.g. "mount is not
 * permitted"): `problem` undefined runs the suite; otherwise it fails under CI and is skipped loudly locally.
 */
export function describeWithCapability(title: string, problem: string | undefined, fn: () => void): void {
  if (problem === undefined) {
    describe(title, fn)
  } else if (isCI()) {
    describe(title, () => {
      test('required capability is available', () => {
        throw new Error(`${title}: ${problem} (CI=true: this must run, not skip)`)
      })
    })
  } else {
    const line = `SKIPPED ${title}: ${problem}`
    const bar = '!'.repeat(Math.min(line.length, 100))
    process.stderr.write(`\n${bar}\n${line}\n${bar}\n\n`)
    describe.skipIf(true)(title, fn)
  }
}
