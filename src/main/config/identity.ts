// The local user's own address (login name @ configured hostname): default envelope sender and From without an account.
import { userInfo } from 'node:os'
import type { Config } from './schema'

export function localAddress(config: Pick<Config, 'hostname'>): string {
  return `${userInfo().username}@${config.hostname}`
}
