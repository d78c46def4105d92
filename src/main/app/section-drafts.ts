// Section "drafts": drafts kept locally at once and copied to the account's Drafts mailbox (src/main/drafts).
import type { mailCalls } from '../../shared/contract'
import { DraftService } from '../drafts/service'
import type { Section, SectionContext } from './section'

export type DraftCallName = Extract<keyof typeof mailCalls, `drafts.${string}`>

export interface DraftsSection extends Section<DraftCallName> {
  /** For compose.send: the draft a message was written in goes once the message is queued. */
  deleteDraft(id: string): Promise<boolean>
}

export function createDraftsSection(context: SectionContext): DraftsSection {
  // Built on first use: a section context in unit tests may have no paths.
  let service: DraftService | null = null
  const drafts = (): DraftService => {
    service ??= DraftService.forHome(context.paths.home, {
      config: context.config, paths: context.paths, log: context.log, now: () => context.clock.now(),
      ...(context.secrets !== undefined ? { secrets: context.secrets } : {})
    })
    return service
  }
  return {
    handlers: {
      'drafts.save': (input) => drafts().save(input),
      'drafts.list': () => drafts().list(),
      'drafts.delete': async ({ id }) => ({ deleted: await drafts().delete(id) })
    },
    deleteDraft: (id) => drafts().delete(id),
    async start() {
      drafts().start()
    },
    async close() {
      await service?.idle()
    }
  }
}
