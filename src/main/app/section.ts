// A section of the app: the IPC handlers of one part of the contract plus the services behind them, started and stopped by the container.
import type { CallName, CallParsedArgs, CallResult } from '../../shared/contract'
import type { Config } from '../config/schema'
import type { Paths } from '../config/paths'
import type { MailResolver } from '../dns/resolver'
import type { EventHub } from '../ipc/events'
import type { LocalDomains } from '../local/domains'
import type { Logger } from '../log/logger'
import type { QueueService } from '../queue/service'
import type { Clock } from './clock'
import type { SecretStore } from '../accounts/secrets'

export type AppMode = 'electron' | 'browser' | 'daemon' | 'cli'

export type HandlerSection<K extends CallName> = { [N in K]: (args: CallParsedArgs<N>) => Promise<CallResult<N>> }

/** What every section is built from (the container's shared services). */
export interface SectionContext {
  mode: AppMode
  paths: Paths
  config: Config
  log: Logger
  events: EventHub
  clock: Clock
  queue: QueueService
  resolver: MailResolver
  localDomains: LocalDomains
  /** Account passwords (Electron: the OS keychain; otherwise MAILROOM_HOME/secrets.json, 0600). */
  secrets?: SecretStore
}

export interface Section<K extends CallName = never> {
  handlers: HandlerSection<K>
  /** Called once after the queue-runner role was decided (runner: this process delivers the queue). */
  start?(role: { runner: boolean }): Promise<void>
  close?(): Promise<void>
}
