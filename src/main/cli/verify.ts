// `mailroom sendmail -bv addr…`: says, sendmail-style, where mail for each address would go after aliases and .forward; reads and sends nothing.
// Exit 0 when every address is deliverable, 67 (EX_NOUSER) when one bounces, 75 when one would only be deferred, 64 without addresses.
// With -v, the expansion preview in words follows each address (local/preview.ts).
import { checkAddress, domainOf } from '../../shared/address'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import type { Paths } from '../config/paths'
import { loadConfig } from '../config/load'
import { loadLocalDomains } from '../local/domains'
import { createExpander, stepChain } from '../local/expand'
import type { ExpandedTarget, Expansion, ExpansionProblem, ExpansionStep } from '../local/expansion-types'
import { describeExpansion } from '../local/preview'

export interface VerifyLine {
  input: string
  ok: boolean
  text: string
  /** Set for a local address that still has to be expanded (aliases, .forward). */
  local?: boolean
}

/** The syntax check and local/remote decision: "addr... deliverable: mailer esmtp, host example.org, user addr" for remote addresses. */
export function verifyAddress(input: string, hostname: string, isLocal: (domain: string) => boolean): VerifyLine {
  const trimmed = input.trim().replace(/^<(.*)>$/, '$1')
  if (trimmed === '') return { input, ok: false, text: `${input}... User address required` }
  const qualified = trimmed.includes('@') ? trimmed : `${trimmed}@${hostname}`
  const check = checkAddress(qualified)
  if (!check.ok) return { input, ok: false, text: `${trimmed}... User unknown (syntax error: ${check.reason})` }
  const domain = domainOf(qualified)
  if (isLocal(domain)) return { input, ok: true, local: true, text: `${qualified}... deliverable: mailer local, user ${check.local}` }
  return { input, ok: true, text: `${qualified}... deliverable: mailer esmtp, host ${domain}, user ${qualified}` }
}

/** "(via aliases: www → webmaster → root)"; empty for a user's own mailbox reached directly. */
function viaText(via: readonly ExpansionStep[]): string {
  if (via.length === 0) return ''
  const sources = [...new Set(via.map((step) => (step.source === 'forward' ? '.forward' : step.source === 'include' ? ':include:' : step.source)))]
  return ` (via ${sources.join(', ')}: ${stepChain(via)})`
}

function targetLine(address: string, item: ExpandedTarget): string {
  const target = item.target
  const via = viaText(item.via)
  switch (target.kind) {
    case 'mailbox': return `${address}... deliverable: mailer local, user ${target.user}${via}`
    case 'program': return `${address}... deliverable: mailer prog, command ${target.command}, user ${target.user}${via}`
    case 'file': return `${address}... deliverable: mailer file, path ${target.path}, user ${target.user}${via}`
    case 'remote': return `${address}... deliverable: mailer esmtp, host ${domainOf(target.address)}, user ${target.address}${via}`
  }
}

function problemLine(address: string, problem: ExpansionProblem): string {
  if (problem.kind === 'unknown-user') return `${address}... User unknown (${problem.message})`
  return `${address}... ${problem.permanent ? 'undeliverable' : 'deferred'}: ${problem.enhanced} ${problem.message}`
}

/** The -bv lines of one expanded local address, and its exit status. */
export function expansionLines(address: string, expansion: Expansion): { lines: string[]; exit: number } {
  const lines = [...expansion.targets.map((item) => targetLine(address, item)), ...expansion.problems.map((problem) => problemLine(address, problem))]
  let exit: number = EX.OK
  if (expansion.problems.some((problem) => !problem.permanent)) exit = EX.TEMPFAIL
  if (expansion.problems.some((problem) => problem.permanent)) exit = EX.NOUSER
  return { lines, exit }
}

export interface VerifyOptions {
  /** -v: the preview in words after each address. */
  explain?: boolean
  program?: string
}

export async function runVerify(paths: Paths, addresses: readonly string[], options: VerifyOptions = {}): Promise<number> {
  if (addresses.length === 0) throw new AppError('INVALID_ARGUMENT', '-bv needs at least one address to verify')
  const program = options.program ?? 'mailroom'
  const config = await loadConfig(paths.config)
  const localDomains = await loadLocalDomains(config, paths.etc)
  const expander = createExpander({ config, paths, localDomains })
  let exit: number = EX.OK
  const worse = (code: number): void => {
    if (code === EX.NOUSER || (code === EX.TEMPFAIL && exit === EX.OK)) exit = code
  }
  for (const address of addresses) {
    const line = verifyAddress(address, config.hostname, (d) => localDomains.has(d))
    if (line.local !== true) {
      process.stdout.write(line.text + '\n')
      if (!line.ok) worse(EX.NOUSER)
      continue
    }
    const qualified = line.text.slice(0, line.text.indexOf('... '))
    const expansion = await expander.expand(qualified)
    for (const warning of expansion.warnings) process.stderr.write(`${program}: warning: ${warning}\n`)
    const result = expansionLines(qualified, expansion)
    process.stdout.write(result.lines.map((text) => text + '\n').join(''))
    worse(result.exit)
    if (options.explain === true) {
      process.stdout.write(`${describeExpansion(expansion).summary}\n`)
    }
  }
  return exit
}
