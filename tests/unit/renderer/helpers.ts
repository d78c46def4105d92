// Test doubles for the renderer: a scripted fake Transport, an app + Pinia harness with a Backend, DOM helpers.
import { createPinia, type Pinia } from 'pinia'
import { vi } from 'vitest'
import { createApp, nextTick, type App, type Component } from 'vue'
import { createClient, type Transport } from '@shared/client'
import type { CallArgs, CallName, CallResult, EventName, EventPayload } from '@shared/contract'
import { fail, ok, type Result } from '@shared/result'
import { backendKey, type Backend } from '../../../src/renderer/src/ipc/backend'
import { createConnectionMonitor, type ConnectionState, type MutableConnectionMonitor } from '../../../src/renderer/src/ipc/connection'

type Handler<N extends CallName> = (args: CallArgs<N>) => Result<CallResult<N>> | Promise<Result<CallResult<N>>>

/** A Transport whose answers the test scripts per call; it records every call and can push events. */
export class FakeTransport implements Transport {
  readonly calls: Array<{ name: string; args: unknown }> = []
  private readonly handlers = new Map<string, (args: never) => Result<unknown> | Promise<Result<unknown>>>()
  private readonly listeners = new Set<(name: string, payload: unknown) => void>()

  handle<N extends CallName>(name: N, handler: Handler<N>): this {
    this.handlers.set(name, handler as never)
    return this
  }

  /** Always answers `name` with this value. */
  reply<N extends CallName>(name: N, value: CallResult<N>): this {
    return this.handle(name, () => ok(value))
  }

  invoke(name: string, args: unknown): Promise<Result<unknown>> {
    this.calls.push({ name, args })
    const handler = this.handlers.get(name)
    return Promise.resolve(handler ? handler(args as never) : fail('UNKNOWN_CALL', `the fake has no answer for ${name}`))
  }

  onEvent(listener: (name: string, payload: unknown) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    for (const listener of this.listeners) listener(name, payload)
  }

  callsTo(name: CallName): unknown[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args)
  }
}

export interface Harness {
  app: App
  pinia: Pinia
  backend: Backend
  connection: MutableConnectionMonitor
}

function install(app: App, transport: Transport, state: ConnectionState): Harness {
  const pinia = createPinia()
  const connection = createConnectionMonitor(state)
  const backend: Backend = { kind: 'websocket', client: createClient(transport), connection, reconnectNow: () => {} }
  app.use(pinia)
  app.provide(backendKey, backend)
  return { app, pinia, backend, connection }
}

/** An app with Pinia and a Backend over `transport`, for testing stores without a component. */
export function createHarness(transport: Transport, state: ConnectionState = { kind: 'connected' }): Harness {
  return install(createApp({ render: () => null }), transport, state)
}

/** Mounts a component on a fresh element of happy-dom's document. */
export function mount(
  component: Component,
  transport: Transport,
  options: { props?: Record<string, unknown>; state?: ConnectionState } = {}
): Harness & { root: HTMLElement; unmount: () => void } {
  const root = document.createElement('div')
  document.body.append(root)
  const harness = install(createApp(component, options.props), transport, options.state ?? { kind: 'connected' })
  harness.app.mount(root)
  return {
    ...harness,
    root,
    unmount: () => {
      harness.app.unmount()
      root.remove()
    }
  }
}

/** Lets pending promises (fake calls) and Vue's render queue run; with fake timers it moves them by 0 ms, never past a due timer. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i += 1) {
    if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(0)
    else await new Promise((resolve) => setTimeout(resolve, 0))
    await nextTick()
  }
}

/** With fake timers: moves the clock on by `ms` (timers fire on the way), then lets Vue render. */
export async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  await settle()
}

export function byTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T | null {
  return root.querySelector<T>(`[data-testid="${id}"]`)
}

export function allByTestId<T extends Element = HTMLElement>(root: ParentNode, id: string): T[] {
  return [...root.querySelectorAll<T>(`[data-testid="${id}"]`)]
}

/** Types into an input or textarea the way v-model listens for it. */
export function typeInto(element: Element | null, value: string): void {
  if (!(element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement)) throw new Error('not a text field')
  element.value = value
  element.dispatchEvent(new Event('input'))
}
