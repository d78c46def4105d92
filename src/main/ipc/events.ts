// A typed fan-out of contract events from services to every connected window or browser page.
import type { EventName, EventPayload } from '../../shared/contract'

export type EventSink = (name: EventName, payload: unknown) => void

export class EventHub {
  private readonly sinks = new Set<EventSink>()

  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink)
    return () => this.sinks.delete(sink)
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const sink of this.sinks) {
      try {
        sink(name, payload)
      } catch {
        // One broken window must not stop the others from being told.
      }
    }
  }
}
