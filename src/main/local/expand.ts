// Expands a local recipient: aliases (recursively, with :include:) → local user → that user's ~/.forward (if safe) → mailbox.
// Loops and too-deep nesting become problems (5.4.6), unknown names 5.1.1, unreadable files a deferral (4.3.0); identical targets are kept once.
import { readFile, stat } from 'node:fs/promises'
import type { Config } from '../config/schema'
import type { Paths } from '../config/paths'
import type { Logger } from '../log/logger'
import type { AliasEntry } from './aliases'
import { ensureDefaultAliases, loadAliases } from './aliases-db'
import type { LocalDomains } from './domains'
import type { DeliveryTarget, ExpandedTarget, Expander, Expansion, ExpansionProblem, ExpansionProblemKind, ExpansionStep } from './expansion-types'
import { checkForwardSafety, parseForward } from './forward'
import { targetText, type RuleTarget } from './rule-tokens'
import { localUsers, systemUser, type LocalUser, type SystemUser } from './users'

export interface ExpanderOptions {
  config: Pick<Config, 'hostname' | 'local'>
  paths: Pick<Paths, 'etc'>
  localDomains: LocalDomains
  log?: Pick<Logger, 'warn'>
  /** Who runs Mailroom (default: this process's OS user); tests pretend. */
  system?: SystemUser
  /** Write and compile the default etc/aliases before the first expansion when there is none (default true). */
  createDefaultAliases?: boolean
}

/** Where a target list came from: decides whose programs run, and what "myself" means. */
interface Context {
  /** The local user programs and files run as: the OS user for aliases, the .forward's owner for .forward. */
  user: string
  /** A name that means "deliver to the mailbox, do not expand again" (the alias or user being expanded lists itself). */
  selfName: string | null
  from: 'aliases' | 'forward'
}

/** Steps one expansion may take in all (a diamond of aliases nested 20 deep would otherwise take 2^20). */
export const MAX_EXPANSION_STEPS = 10_000

interface Walk {
  /** Steps taken so far (see MAX_EXPANSION_STEPS). */
  steps: number
  targets: Map<string, ExpandedTarget>
  problems: ExpansionProblem[]
  warnings: string[]
  aliases: Map<string, AliasEntry>
  aliasesFile: string
  users: LocalUser[]
  recipient: string
}

const errnoOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message

function unquoteLocal(local: string): string {
  return local.length >= 2 && local.startsWith('"') && local.endsWith('"') ? local.slice(1, -1).replace(/\\(.)/g, '$1') : local
}

/** "aliases line 12" / "/home/alice/.forward line 3" for a step. */
export function stepPlace(step: ExpansionStep): string {
  if (step.source === 'aliases') return `aliases line ${step.line}`
  if (step.source === 'user') return `user ${step.from}`
  return `${step.file} line ${step.line}`
}

/** "www → webmaster → root": the names along the way. */
export function stepChain(via: readonly ExpansionStep[]): string {
  if (via.length === 0) return ''
  return [via[0]?.from ?? '', ...via.map((step) => step.to)].join(' → ')
}

function targetKey(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'mailbox': return `mailbox:${target.user}`
    case 'program': return `program:${target.user}:${target.command}`
    case 'file': return `file:${target.path}`
    case 'remote': return `remote:${target.address.toLowerCase()}`
  }
}

const PROBLEM_CODES: Record<ExpansionProblemKind, { enhanced: string; permanent: boolean }> = {
  'unknown-user': { enhanced: '5.1.1', permanent: true },
  loop: { enhanced: '5.4.6', permanent: true },
  'too-deep': { enhanced: '5.4.6', permanent: true },
  syntax: { enhanced: '4.3.5', permanent: false },
  'unsafe-forward': { enhanced: '4.3.5', permanent: false },
  unreadable: { enhanced: '4.3.0', permanent: false }
}

export function createExpander(options: ExpanderOptions): Expander {
  const system = options.system ?? systemUser()
  const { config, localDomains } = options
  const depthLimit = config.local.expansionDepth
  let defaultsChecked = options.createDefaultAliases === false

  function problem(walk: Walk, kind: ExpansionProblemKind, message: string, via: ExpansionStep[]): void {
    walk.problems.push({ address: walk.recipient, kind, message, via, ...PROBLEM_CODES[kind] })
  }

  function addTarget(walk: Walk, target: DeliveryTarget, via: ExpansionStep[]): void {
    const key = targetKey(target)
    if (!walk.targets.has(key)) walk.targets.set(key, { target, via })
  }

  function warn(walk: Walk, message: string): void {
    walk.warnings.push(message)
    options.log?.warn('local', `${walk.recipient}: ${message}`)
  }

  /** Stops a branch that revisits a name of its own path (a loop) or nests too deep; true = stopped. */
  function stopped(walk: Walk, key: string, ancestors: ReadonlySet<string>, via: ExpansionStep[]): boolean {
    const last = via[via.length - 1]
    const where = last === undefined ? '' : ` (${stepPlace(last)})`
    if (++walk.steps > MAX_EXPANSION_STEPS) {
      if (walk.steps === MAX_EXPANSION_STEPS + 1) problem(walk, 'too-deep', `the expansion takes more than ${MAX_EXPANSION_STEPS} steps (aliases or .forward files name each other too often)`, via)
      return true
    }
    if (ancestors.has(key)) {
      problem(walk, 'loop', `${stepChain(via)} is an aliasing/forwarding loop${where}`, via)
      return true
    }
    if (via.length > depthLimit) {
      problem(walk, 'too-deep', `aliasing/forwarding is nested more than ${depthLimit} deep (local.expansionDepth): ${stepChain(via)}${where}`, via)
      return true
    }
    return false
  }

  async function visitName(walk: Walk, name: string, via: ExpansionStep[], ancestors: ReadonlySet<string>, skipAlias: boolean): Promise<void> {
    const key = `name:${name}`
    if (stopped(walk, key, ancestors, via)) return
    const inner = new Set(ancestors).add(key)
    const alias = skipAlias ? undefined : walk.aliases.get(name)
    if (alias !== undefined) {
      const context: Context = { user: system.name, selfName: name, from: 'aliases' }
      for (const target of alias.targets) {
        const step: ExpansionStep = { source: 'aliases', file: walk.aliasesFile, line: alias.line, from: name, to: targetText(target) }
        await visitTarget(walk, target, [...via, step], inner, context)
      }
      return
    }
    const user = walk.users.find((candidate) => candidate.name === name)
    if (user !== undefined) return visitUser(walk, user, via, inner)
    const last = via[via.length - 1]
    problem(walk, 'unknown-user', last === undefined
      ? `${name} is neither a local user nor an alias`
      : `${stepPlace(last)}: ${stepChain(via)}: ${name} is neither a local user nor an alias`, via)
  }

  async function visitTarget(walk: Walk, target: RuleTarget, via: ExpansionStep[], ancestors: ReadonlySet<string>, context: Context): Promise<void> {
    switch (target.kind) {
      case 'program':
        return addTarget(walk, { kind: 'program', command: target.value, user: context.user }, via)
      case 'file':
        return addTarget(walk, { kind: 'file', path: target.value, user: context.user }, via)
      case 'include':
        return visitInclude(walk, target.value, via, ancestors, context)
      case 'self': {
        const user = walk.users.find((candidate) => candidate.name === target.value)
        if (user !== undefined) return addTarget(walk, { kind: 'mailbox', user: user.name }, via)
        const last = via[via.length - 1]
        problem(walk, 'unknown-user', `${last === undefined ? '' : stepPlace(last) + ': '}\\${target.value}: ${target.value} is not a local user`, via)
        return
      }
      case 'address': {
        const at = target.value.lastIndexOf('@')
        if (at >= 0 && !localDomains.has(target.value.slice(at + 1))) return addTarget(walk, { kind: 'remote', address: target.value }, via)
        const name = unquoteLocal(at >= 0 ? target.value.slice(0, at) : target.value).toLowerCase()
        if (name === context.selfName) {
          // "jane: jane, bob" (sendmail) or a .forward naming its own user: that user's mailbox, not the alias again.
          const user = walk.users.find((candidate) => candidate.name === name)
          if (user !== undefined && context.from === 'forward') return addTarget(walk, { kind: 'mailbox', user: user.name }, via)
          if (user !== undefined) return visitUser(walk, user, via, new Set(ancestors).add(`name:${name}`))
        }
        return visitName(walk, name, via, ancestors, false)
      }
    }
  }

  async function expectedUid(user: LocalUser): Promise<number | null> {
    if (user.uid !== null) return user.uid
    try {
      return (await stat(user.home)).uid
    } catch {
      return null
    }
  }

  async function visitUser(walk: Walk, user: LocalUser, via: ExpansionStep[], ancestors: ReadonlySet<string>): Promise<void> {
    const key = `user:${user.name}`
    if (stopped(walk, key, ancestors, via)) return
    const mailbox = (): void => addTarget(walk, { kind: 'mailbox', user: user.name }, via)
    let text: string
    try {
      text = await readFile(user.forwardPath, 'utf8')
    } catch (error) {
      const code = errnoOf(error)
      if (code === 'ENOENT' || code === 'ENOTDIR') return mailbox()
      problem(walk, 'unreadable', `${user.forwardPath} (the .forward of ${user.name}) cannot be read (${code}); delivery is retried later`, via)
      return
    }
    const safety = await checkForwardSafety(user.forwardPath, await expectedUid(user))
    if (!safety.safe) {
      warn(walk, `${user.forwardPath} is ignored: it ${safety.reason ?? 'is unsafe'}; mail for ${user.name} goes to the mailbox`)
      return mailbox()
    }
    const parsed = parseForward(text, user.forwardPath)
    for (const error of parsed.errors) warn(walk, `${error.file} line ${error.line}: ${error.message}; a copy goes to ${user.name}'s mailbox instead`)
    if (parsed.errors.length > 0 || parsed.targets.length === 0) mailbox()
    const inner = new Set(ancestors).add(key)
    const context: Context = { user: user.name, selfName: user.name, from: 'forward' }
    for (const target of parsed.targets) {
      const step: ExpansionStep = { source: 'forward', file: user.forwardPath, line: target.line, from: user.name, to: targetText(target) }
      await visitTarget(walk, target, [...via, step], inner, context)
    }
  }

  async function visitInclude(walk: Walk, path: string, via: ExpansionStep[], ancestors: ReadonlySet<string>, context: Context): Promise<void> {
    const key = `include:${path}`
    if (stopped(walk, key, ancestors, via)) return
    const where = `${stepPlace(via[via.length - 1] as ExpansionStep)}: :include:${path}`
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      problem(walk, 'unreadable', `${where} cannot be read (${errnoOf(error)}); delivery is retried later`, via)
      return
    }
    const owner = context.from === 'forward' ? walk.users.find((user) => user.name === context.user) : undefined
    const safety = await checkForwardSafety(path, owner === undefined ? null : await expectedUid(owner))
    if (!safety.safe) {
      problem(walk, 'unsafe-forward', `${where} is not used: it ${safety.reason ?? 'is unsafe'}; delivery is retried later`, via)
      return
    }
    const parsed = parseForward(text, path)
    for (const error of parsed.errors) problem(walk, 'syntax', `${error.file} line ${error.line}: ${error.message}; delivery is retried later`, via)
    const inner = new Set(ancestors).add(key)
    for (const target of parsed.targets) {
      const step: ExpansionStep = { source: 'include', file: path, line: target.line, from: `:include:${path}`, to: targetText(target) }
      await visitTarget(walk, target, [...via, step], inner, context)
    }
  }

  return {
    async expand(recipient: string): Promise<Expansion> {
      const warnings: string[] = []
      if (!defaultsChecked) {
        defaultsChecked = true
        try {
          const created = await ensureDefaultAliases(options.paths.etc, system.name)
          if (created !== null && !created.ok) warnings.push(`the default ${created.source} did not compile`)
        } catch (error) {
          warnings.push(`the default aliases file could not be written (${errnoOf(error)})`)
        }
      }
      const bare = recipient.trim().replace(/^<(.*)>$/, '$1')
      const at = bare.lastIndexOf('@')
      const local = (at >= 0 ? bare.slice(0, at) : bare).toLowerCase()
      const domain = at >= 0 ? bare.slice(at + 1) : config.hostname
      const loaded = await loadAliases(options.paths.etc)
      const walk: Walk = {
        steps: 0, targets: new Map(), problems: [], warnings, aliases: loaded.table, aliasesFile: loaded.source,
        users: localUsers(config, system), recipient: `${local}@${domain}`
      }
      for (const warning of loaded.warnings) warn(walk, warning)
      if (!localDomains.has(domain)) addTarget(walk, { kind: 'remote', address: bare }, [])
      else await visitName(walk, unquoteLocal(local), [], new Set(), false)
      return { recipient: walk.recipient, targets: [...walk.targets.values()], problems: walk.problems, warnings: walk.warnings }
    }
  }
}
