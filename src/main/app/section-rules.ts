// Section "rules": the aliases, .forward and out-of-office editors and the expansion preview.
import type { rulesCalls } from '../../shared/contract'
import type { Section, SectionContext } from './section'

export function createRulesSection(_context: SectionContext): Section<keyof typeof rulesCalls> {
  return { handlers: {} }
}
