// The expansion preview in words ("mail for www@localhost goes to: root's mailbox — via aliases line 24 (www → webmaster), ..."),
// shared by `sendmail -bv -v` and the rules editor.
import type { DeliveryTarget, ExpandedTarget, Expansion, ExpansionProblem, ExpansionStep } from './expansion-types'

export interface ExpansionDescription {
  /** One sentence: where the mail goes, or why it cannot. */
  summary: string
  /** One line per target, problem and warning. */
  lines: string[]
}

export function describeTarget(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'mailbox': return `${target.user}'s mailbox`
    case 'program': return `the program "${target.command}" (run as ${target.user})`
    case 'file': return `the file ${target.path} (appended as ${target.user})`
    case 'remote': return `${target.address} (sent on by the queue)`
  }
}

function placeOf(step: ExpansionStep): string {
  switch (step.source) {
    case 'aliases': return 'aliases'
    case 'forward': return `${step.from}'s .forward`
    case 'include': return step.file
    case 'user': return 'user'
  }
}

/** "aliases line 12 (www → webmaster), line 11 (webmaster → root)": consecutive steps of one file share its name. */
export function describeVia(via: readonly ExpansionStep[]): string {
  const parts: string[] = []
  let previous: string | null = null
  for (const step of via) {
    const place = placeOf(step)
    const from = step.source === 'include' ? step.from.replace(/^:include:.*/, 'list') : step.from
    parts.push(`${place === previous ? '' : place + ' '}line ${step.line} (${from} → ${step.to})`)
    previous = place
  }
  return parts.join(', ')
}

function targetLine(item: ExpandedTarget): string {
  const words = describeTarget(item.target)
  return item.via.length === 0 ? `${words} (directly)` : `${words} — via ${describeVia(item.via)}`
}

function problemLine(problem: ExpansionProblem): string {
  return `${problem.permanent ? 'bounces' : 'is deferred'} (${problem.enhanced}): ${problem.message}`
}

export function describeExpansion(expansion: Expansion): ExpansionDescription {
  const targets = expansion.targets.map(targetLine)
  const problems = expansion.problems.map(problemLine)
  const parts: string[] = []
  if (targets.length > 0) parts.push(`goes to: ${targets.join('; ')}`)
  if (problems.length > 0) parts.push(`${targets.length > 0 ? 'and ' : ''}${problems.join('; ')}`)
  if (parts.length === 0) parts.push('goes nowhere (the expansion is empty)')
  const summary = `mail for ${expansion.recipient} ${parts.join('; ')}`
  const lines = [...targets, ...problems, ...expansion.warnings.map((warning) => `warning: ${warning}`)]
  return { summary, lines }
}
