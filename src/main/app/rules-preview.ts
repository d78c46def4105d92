// The expansion preview of the rules editor: who gets mail for an address and why, with local/expand.ts (the engine of
// `sendmail -bv`). A draft (unsaved aliases or .forward text) is previewed by expanding against a private copy of that file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkAddress } from '../../shared/address'
import type { RuleKind, RulesPreview } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Config } from '../config/schema'
import { ALIASES_FILE, compileAliases } from '../local/aliases-db'
import type { LocalDomains } from '../local/domains'
import { createExpander } from '../local/expand'
import type { DeliveryTarget, Expansion } from '../local/expansion-types'
import { describeExpansion, describeTarget, describeVia } from '../local/preview'
import { checkRulesText, resolveRulesFile, type RulesDeps } from './rules-files'

export interface PreviewDeps extends RulesDeps {
  localDomains: LocalDomains
}

export interface PreviewDraft {
  kind: RuleKind
  user?: string | undefined
  text: string
}

function targetValue(target: DeliveryTarget): string {
  switch (target.kind) {
    case 'mailbox': return target.user
    case 'program': return target.command
    case 'file': return target.path
    case 'remote': return target.address
  }
}

/** The address as the preview expands it; a bad one is refused with the reason. */
function checkedAddress(address: string, hostname: string): { address: string; domain: string } {
  const bare = address.trim().replace(/^<(.*)>$/, '$1')
  const qualified = bare.includes('@') ? bare : `${bare}@${hostname}`
  const check = checkAddress(qualified)
  if (!check.ok) throw new AppError('INVALID_ADDRESS', `"${address}" is not a valid address: ${check.reason}`, { address })
  return { address: bare, domain: qualified.slice(qualified.lastIndexOf('@') + 1) }
}

/** Replaces every mention of the private copy's path by the real file's, so the preview names the file being edited. */
function renamePaths(expansion: Expansion, from: string, to: string): Expansion {
  return JSON.parse(JSON.stringify(expansion).replaceAll(JSON.stringify(from).slice(1, -1), JSON.stringify(to).slice(1, -1))) as Expansion
}

/** Expands against the draft: aliases in a private etc/ (compiled when clean), or the user's .forward replaced by a private copy. */
async function expandDraft(deps: PreviewDeps, address: string, draft: PreviewDraft): Promise<Expansion> {
  const ref = resolveRulesFile(deps, draft.kind, draft.user)
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-preview-'))
  try {
    const copy = join(dir, draft.kind === 'aliases' ? ALIASES_FILE : 'forward')
    await writeFile(copy, draft.text, { mode: 0o600 })
    const errors = checkRulesText(ref, draft.text).errors
    let config: Config = deps.config
    let etc = deps.paths.etc
    if (draft.kind === 'aliases') {
      etc = dir
      if (errors.length === 0) await compileAliases(dir)
    } else {
      const user = ref.user
      if (user === null) throw new AppError('INTERNAL', 'a .forward draft without its user')
      const others = deps.config.local.users.filter((u) => u.name.toLowerCase() !== user.name)
      const uid = process.getuid?.()
      const overlay = { name: user.name, home: user.home, forward: copy, addresses: user.addresses, ...(uid === undefined ? {} : { uid }) }
      config = { ...deps.config, local: { ...deps.config.local, users: [...others, overlay] } }
    }
    const expander = createExpander({ config, paths: { etc }, localDomains: deps.localDomains, system: deps.system, createDefaultAliases: false })
    const expansion = renamePaths(await expander.expand(address), copy, ref.path)
    if (draft.kind === 'aliases') {
      // The private copy is read uncompiled when it has errors: say that plainly instead of "run newaliases".
      expansion.warnings = expansion.warnings.filter((w) => !w.startsWith('aliases database is missing') && !w.endsWith('(entry ignored)'))
      if (errors.length > 0) expansion.warnings.push(`your unsaved aliases have ${errors.length} line(s) with errors; those entries are left out of this preview`)
    }
    return expansion
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export function createPreviewer(deps: PreviewDeps): (address: string, draft?: PreviewDraft) => Promise<RulesPreview> {
  const saved = createExpander({ config: deps.config, paths: deps.paths, localDomains: deps.localDomains, system: deps.system })
  return async (input, draft) => {
    const { address, domain } = checkedAddress(input, deps.config.hostname)
    const local = deps.localDomains.has(domain)
    const expansion = draft !== undefined && local ? await expandDraft(deps, address, draft) : await saved.expand(address)
    const described = describeExpansion(expansion)
    return {
      recipient: expansion.recipient,
      deliverable: expansion.targets.length > 0 && expansion.problems.length === 0,
      local,
      summary: described.summary,
      targets: expansion.targets.map((item) => ({
        kind: item.target.kind,
        value: targetValue(item.target),
        sentence: item.via.length === 0 ? `${describeTarget(item.target)} (directly)` : `${describeTarget(item.target)} — via ${describeVia(item.via)}`,
        via: item.via.map((step) => ({ ...step }))
      })),
      problems: expansion.problems.map((p) => ({ kind: p.kind, message: p.message, permanent: p.permanent })),
      warnings: expansion.warnings,
      draft: draft !== undefined && local
    }
  }
}
