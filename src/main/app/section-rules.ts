// Section "rules": the aliases, .forward and out-of-office editors and the expansion preview.
import type { rulesCalls } from '../../shared/contract'
import { localUsers, systemUser, type SystemUser } from '../local/users'
import { createPreviewer } from './rules-preview'
import { checkRulesText, getRulesFile, resolveRulesFile, saveRulesFile, type RulesDeps } from './rules-files'
import { createVacationHandlers } from './rules-vacation'
import type { Section, SectionContext } from './section'

export interface RulesSectionOptions {
  /** Who runs Mailroom (default: this process's OS user); tests pretend. */
  system?: SystemUser
}

export function createRulesSection(context: SectionContext, options: RulesSectionOptions = {}): Section<keyof typeof rulesCalls> {
  const deps: RulesDeps = { config: context.config, paths: context.paths, system: options.system ?? systemUser() }
  const preview = createPreviewer({ ...deps, localDomains: context.localDomains })
  const vacation = createVacationHandlers({ ...deps, localDomains: context.localDomains, ...(context.secrets === undefined ? {} : { secrets: context.secrets }) })
  return {
    handlers: {
      'rules.get': async ({ kind, user }) => getRulesFile(deps, resolveRulesFile(deps, kind, user)),
      'rules.validate': async ({ kind, user, text }) => checkRulesText(resolveRulesFile(deps, kind, user), text),
      'rules.save': async ({ kind, user, text, expectedMtime }) => {
        const ref = resolveRulesFile(deps, kind, user)
        const saved = await saveRulesFile(deps, ref, text, expectedMtime)
        context.log.info('rules', `${ref.path} saved by the rules editor${saved.backup === null ? '' : ` (previous version: ${saved.backup})`}`)
        return saved
      },
      'rules.preview': async ({ address, draft }) => preview(address, draft),
      'rules.users': async () => localUsers(deps.config, deps.system).map((user) => ({
        name: user.name, home: user.home, forwardPath: user.forwardPath, self: user.name === deps.system.name
      })),
      'vacation.get': async ({ user }) => vacation.get(user),
      'vacation.save': async ({ user, rule, enable }) => {
        const saved = await vacation.save(user, rule, enable)
        context.log.info('rules', `out-of-office of ${saved.user} saved (${saved.enabled ? 'on' : 'off'})`)
        return saved
      },
      'vacation.sieve': async ({ user }) => vacation.sieve(user),
      'vacation.upload': async ({ user, accountId }) => vacation.upload(user, accountId)
    }
  }
}
