// Section "listener": the loopback SMTP listener, run by the process that delivers the queue (app or daemon).
// A listener that cannot start (port in use, unreadable TLS files) is logged and the rest of the app runs without it.
import { readFile } from 'node:fs/promises'
import { startListener, type RunningListener } from '../listener/server'
import { expanderRecipientCheck } from '../listener/recipients'
import { createExpander } from '../local/expand'
import type { Section, SectionContext } from './section'

export interface ListenerSection extends Section {
  /** Where the listener listens once started (empty when it is off or could not start). */
  addresses(): Array<{ host: string; port: number }>
}

export function createListenerSection(context: SectionContext): ListenerSection {
  let running: RunningListener | null = null
  const settings = context.config.listener

  return {
    handlers: {},
    addresses: () => running?.addresses ?? [],
    async start({ runner }) {
      if (!runner || !settings.enabled) return
      try {
        const tls = settings.tls === undefined ? undefined : { cert: await readFile(settings.tls.cert), key: await readFile(settings.tls.key) }
        running = await startListener({
          hosts: settings.hosts,
          port: settings.port,
          hostname: context.config.hostname,
          maxMessageSize: settings.maxMessageSize,
          maxReceived: context.config.local.maxReceived,
          relay: { ownUser: settings.relay.ownUser, ownUid: process.getuid?.() ?? null, users: settings.relay.users },
          localDomains: context.localDomains,
          // Aliases → local user → .forward, as local delivery will expand it: unknown names are refused at RCPT.
          checkLocal: expanderRecipientCheck(createExpander({ config: context.config, paths: context.paths, localDomains: context.localDomains, log: context.log })),
          submit: (input) => context.queue.submit(input),
          log: context.log,
          now: () => context.clock.now(),
          ...(tls === undefined ? {} : { tls })
        })
      } catch (error) {
        context.log.error('listener', `${(error as Error).message}; mail can still be sent from the app and the sendmail command`)
      }
    },
    async close() {
      const listener = running
      running = null
      await listener?.close()
    }
  }
}
