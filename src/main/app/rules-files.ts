// The rules editor's files (etc/aliases, a user's .forward): which file, read with its problems, check text, save safely.
// Parsing is local/aliases.ts and local/forward.ts; writing is local/rules-store.ts (atomic, .bak, mtime check).
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { RULES_TEXT_LIMIT, type RuleCheck, type RuleEntry, type RuleKind, type RuleProblem, type RulesFile, type RulesSaved, type RuleTarget } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Config } from '../config/schema'
import type { Paths } from '../config/paths'
import { parseAliases } from '../local/aliases'
import { ALIASES_FILE, compileAliases, ensureDefaultAliases, loadAliases } from '../local/aliases-db'
import { checkForwardSafety, parseForward } from '../local/forward'
import type { RuleTarget as CoreTarget } from '../local/rule-tokens'
import { readRulesText, saveRulesText } from '../local/rules-store'
import { findLocalUser, localUsers, type LocalUser, type SystemUser } from '../local/users'

export interface RulesDeps {
  config: Config
  paths: Paths
  system: SystemUser
}

export interface RulesFileRef {
  kind: RuleKind
  /** The .forward's user; null for aliases. */
  user: LocalUser | null
  path: string
}

/** Which file a call means: etc/aliases, or the .forward of `userName` (default: the OS user running Mailroom). */
export function resolveRulesFile(deps: RulesDeps, kind: RuleKind, userName?: string): RulesFileRef {
  if (kind === 'aliases') return { kind, user: null, path: join(deps.paths.etc, ALIASES_FILE) }
  const user = requireUser(deps, userName)
  return { kind, user, path: user.forwardPath }
}

/** The local user of that name (default: the OS user); NOT_FOUND names the users there are. */
export function requireUser(deps: RulesDeps, userName?: string): LocalUser {
  const users = localUsers(deps.config, deps.system)
  if (userName === undefined) return users[0] as LocalUser
  const user = findLocalUser(deps.config, userName, deps.system)
  if (user === undefined) {
    throw new AppError('NOT_FOUND', `"${userName}" is not a local user (local users: ${users.map((u) => u.name).join(', ')}; add more under local.users in config.json)`, { user: userName })
  }
  return user
}

function toTarget(target: CoreTarget): RuleTarget {
  return { kind: target.kind === 'self' ? 'mailbox' : target.kind, value: target.value }
}

const problem = (p: { line: number; message: string }): RuleProblem => ({ line: p.line, message: p.message })

/** Parses text as the file it would be: entries with their lines, errors and warnings by line. Never throws. */
export function checkRulesText(ref: RulesFileRef, text: string): RuleCheck {
  if (ref.kind === 'aliases') {
    const parsed = parseAliases(text, ALIASES_FILE)
    return {
      entries: parsed.entries.map((e): RuleEntry => ({ line: e.line, endLine: e.endLine, name: e.name, targets: e.targets.map(toTarget) })),
      errors: parsed.errors.map(problem),
      warnings: parsed.warnings.map(problem)
    }
  }
  const parsed = parseForward(text, ref.path)
  const byLine = new Map<number, RuleTarget[]>()
  for (const target of parsed.targets) byLine.set(target.line, [...(byLine.get(target.line) ?? []), toTarget(target)])
  return {
    entries: [...byLine].map(([line, targets]): RuleEntry => ({ line, endLine: line, name: null, targets })),
    errors: parsed.errors.map(problem),
    warnings: []
  }
}

/** The uid a user's .forward must belong to: configured, else the owner of the home directory. */
export async function forwardOwner(user: LocalUser): Promise<{ uid: number; gid: number } | null> {
  try {
    const home = await stat(user.home)
    return { uid: user.uid ?? home.uid, gid: home.gid }
  } catch {
    return user.uid === null ? null : { uid: user.uid, gid: user.uid }
  }
}

/** Problems of the file on disk rather than of its text: a stale aliases database, a .forward Mailroom ignores. */
async function fileWarnings(deps: RulesDeps, ref: RulesFileRef, exists: boolean): Promise<RuleProblem[]> {
  if (ref.kind === 'aliases') {
    const loaded = await loadAliases(deps.paths.etc).catch((error: Error) => ({ warnings: [`the aliases database cannot be read: ${error.message}`] }))
    return loaded.warnings.filter((w) => !/ \(entry ignored\)$/.test(w)).map((message) => ({ line: 0, message }))
  }
  if (!exists || ref.user === null) return []
  const owner = await forwardOwner(ref.user)
  const safety = await checkForwardSafety(ref.path, owner?.uid ?? null)
  return safety.safe ? [] : [{ line: 0, message: `Mailroom ignores this file: it ${safety.reason ?? 'is unsafe'} (mail goes to the mailbox until that is fixed)` }]
}

export async function getRulesFile(deps: RulesDeps, ref: RulesFileRef): Promise<RulesFile> {
  const warnings: RuleProblem[] = []
  if (ref.kind === 'aliases') {
    // A fresh MAILROOM_HOME gets the default aliases, as newaliases and local delivery would create them.
    try {
      await ensureDefaultAliases(deps.paths.etc, deps.system.name)
    } catch (error) {
      warnings.push({ line: 0, message: `the default aliases file could not be written (${(error as Error).message})` })
    }
  }
  const stored = await readRulesText(ref.path, RULES_TEXT_LIMIT)
  const check = checkRulesText(ref, stored.text)
  return {
    kind: ref.kind,
    user: ref.user?.name ?? null,
    path: ref.path,
    exists: stored.exists,
    text: stored.text,
    mtimeMs: stored.mtimeMs,
    entries: check.entries,
    errors: check.errors,
    warnings: [...warnings, ...check.warnings, ...(await fileWarnings(deps, ref, stored.exists))]
  }
}

function describeProblems(problems: readonly RuleProblem[]): string {
  const shown = problems.slice(0, 3).map((p) => `line ${p.line}: ${p.message}`).join('; ')
  return problems.length > 3 ? `${shown}; and ${problems.length - 3} more` : shown
}

/** Saves text that parses cleanly (refused otherwise, with the errors); aliases are compiled afterwards, like newaliases. */
export async function saveRulesFile(deps: RulesDeps, ref: RulesFileRef, text: string, expectedMtime: number | null | undefined): Promise<RulesSaved> {
  const check = checkRulesText(ref, text)
  if (check.errors.length > 0) {
    throw new AppError('INVALID_ARGUMENT', `${check.errors.length} line(s) need fixing first: ${describeProblems(check.errors)}`, { errors: check.errors })
  }
  let owner: { uid: number; gid: number } | undefined
  if (ref.kind === 'aliases') await mkdir(deps.paths.etc, { recursive: true })
  else if (ref.user !== null && process.getuid?.() === 0) owner = (await forwardOwner(ref.user)) ?? undefined
  const saved = await saveRulesText(ref.path, text, { expectedMtime, owner, limit: RULES_TEXT_LIMIT })
  let compiled: RulesSaved['compiled'] = null
  if (ref.kind === 'aliases') {
    try {
      const result = await compileAliases(deps.paths.etc)
      compiled = { path: result.database, entries: result.stats.count, warnings: [...result.warnings, ...result.errors].map((w) => `line ${w.line}: ${w.message}`) }
    } catch (error) {
      throw new AppError('RULES_IO', `${ref.path} was saved, but compiling it failed: ${(error as Error).message}; run mailroom newaliases`, { path: ref.path }, { cause: error })
    }
  }
  return { file: await getRulesFile(deps, ref), backup: saved.backup, compiled }
}
