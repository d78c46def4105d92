// Section "drafts": drafts kept locally and copied to the account's Drafts mailbox.
import type { mailCalls } from '../../shared/contract'
import { AppError } from '../../shared/result'
import type { Section, SectionContext } from './section'

export type DraftCallName = Extract<keyof typeof mailCalls, `drafts.${string}`>

const notYet = async (): Promise<never> => {
  throw new AppError('INVALID_STATE', 'drafts are not available yet')
}

export function createDraftsSection(_context: SectionContext): Section<DraftCallName> {
  return { handlers: { 'drafts.save': notYet, 'drafts.list': notYet, 'drafts.delete': notYet } }
}
