// The out-of-office part of the rules editor: the rule (vacation/rule.ts), switched on and off by the user's .forward line
// `\user, "|mailroom vacation user"` (the rest of the file kept), exported as Sieve and uploaded by ManageSieve.
import type { VacationRule as ContractRule, VacationState } from '../../shared/contract'
import { RULES_TEXT_LIMIT } from '../../shared/contract'
import { AppError } from '../../shared/result'
import { sieveCredentials } from '../accounts/credentials'
import type { LocalDomains } from '../local/domains'
import { parseForward } from '../local/forward'
import { targetText } from '../local/rule-tokens'
import { readRulesText } from '../local/rules-store'
import type { SecretStore } from '../accounts/secrets'
import { uploadVacation } from '../vacation/managesieve'
import { defaultUserAddresses, loadVacationRule, saveVacationRule, type VacationRule } from '../vacation/rule'
import { VACATION_SCRIPT_NAME, vacationSieveScript } from '../vacation/sieve'
import { requireUser, resolveRulesFile, saveRulesFile, type RulesDeps } from './rules-files'

export interface VacationDeps extends RulesDeps {
  localDomains: LocalDomains
  /** The account secrets (keychain or secrets.json), for the ManageSieve login. */
  secrets?: SecretStore
}

/** The .forward line the editor writes (DESIGN: the seed's "|/usr/bin/out-of-office"). */
export function vacationForwardLine(user: string): string {
  return `\\${user}, "|mailroom vacation ${user}"`
}

/** A program target that runs `mailroom vacation <user>` (any path to mailroom). */
function isVacationProgram(command: string, user: string): boolean {
  const match = /^(?:\S*\/)?mailroom\s+vacation\s+(\S+)\s*$/.exec(command.trim())
  return match !== null && (match[1] as string).toLowerCase() === user
}

export function hasVacationLine(text: string, file: string, user: string): boolean {
  return parseForward(text, file).targets.some((t) => t.kind === 'program' && isVacationProgram(t.value, user))
}

/** The .forward text with the vacation program added (as its own line) or taken out (other targets on that line kept). */
export function withVacationLine(text: string, file: string, user: string, enable: boolean): string {
  const has = hasVacationLine(text, file, user)
  if (enable) {
    if (has) return text
    const base = text === '' || text.endsWith('\n') ? text : `${text}\n`
    return `${base}${vacationForwardLine(user)}\n`
  }
  if (!has) return text
  const lines = text.split('\n')
  return lines.flatMap((line, index) => {
    const targets = parseForward(line, file).targets
    if (!targets.some((t) => t.kind === 'program' && isVacationProgram(t.value, user))) return [line]
    const rest = targets.filter((t) => !(t.kind === 'program' && isVacationProgram(t.value, user)))
    // "\user" was only there so the vacation line kept a copy in the mailbox: without the program it is what no .forward does.
    if (rest.every((t) => t.kind === 'self' && t.value === user)) return index === lines.length - 1 ? [''] : []
    return [rest.map(targetText).join(', ')]
  }).join('\n')
}

function toContract(rule: VacationRule | null): ContractRule | null {
  if (rule === null) return null
  return { subject: rule.subject, body: rule.body, days: rule.days, addresses: rule.addresses, startsAt: rule.startsAt, endsAt: rule.endsAt, from: rule.from }
}

export function createVacationHandlers(deps: VacationDeps) {
  async function state(userName: string): Promise<VacationState> {
    const user = requireUser(deps, userName)
    const rule = await loadVacationRule(deps.paths, user.name)
    const forward = await readRulesText(user.forwardPath, RULES_TEXT_LIMIT)
    return { user: user.name, rule: toContract(rule), enabled: rule?.enabled !== false && rule !== null && hasVacationLine(forward.text, user.forwardPath, user.name), forwardPath: user.forwardPath }
  }

  async function script(userName: string): Promise<string> {
    const user = requireUser(deps, userName)
    const rule = await loadVacationRule(deps.paths, user.name)
    if (rule === null) throw new AppError('NOT_FOUND', `No out-of-office rule is saved for ${user.name} yet: save one first`, { user: user.name })
    const extraAddresses = defaultUserAddresses({
      user: user.name,
      hostname: deps.config.hostname,
      localDomains: [...deps.localDomains.names],
      localUsers: deps.config.local.users,
      accountEmails: deps.config.accounts.map((a) => a.email),
      isSelf: user.name === deps.system.name
    })
    // The export is for the server to answer while this computer is off: it replies whatever the local switch says.
    return vacationSieveScript({ ...rule, enabled: true }, { extraAddresses })
  }

  return {
    get: state,
    /** Rule first (so the program finds it), then the .forward line: a failure of the second leaves the reply off, never half on. */
    async save(userName: string, rule: ContractRule, enable: boolean): Promise<VacationState> {
      const user = requireUser(deps, userName)
      await saveVacationRule(deps.paths, user.name, { ...rule, from: rule.from ?? null, enabled: enable })
      const ref = resolveRulesFile(deps, 'forward', user.name)
      const current = await readRulesText(ref.path, RULES_TEXT_LIMIT)
      const next = withVacationLine(current.text, ref.path, user.name, enable)
      if (next !== current.text || (enable && !current.exists)) await saveRulesFile(deps, ref, next, current.mtimeMs)
      return state(user.name)
    },
    sieve: async (userName: string) => ({ script: await script(userName) }),
    async upload(userName: string, accountId: string) {
      const text = await script(userName)
      const server = await sieveCredentials({ config: deps.config, paths: deps.paths, ...(deps.secrets === undefined ? {} : { secrets: deps.secrets }) }, accountId)
      const result = await uploadVacation({ ...server, scriptName: VACATION_SCRIPT_NAME, script: text, activate: true })
      return { scriptName: result.scriptName, server: result.server, active: result.active }
    }
  }
}
