// Section "listener": the loopback SMTP listener, run by the process that delivers the queue.
import type { Section, SectionContext } from './section'

export function createListenerSection(_context: SectionContext): Section {
  return { handlers: {} }
}
