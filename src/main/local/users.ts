// The local users who have a mailbox (mail/<user>/Maildir): the OS user running Mailroom, plus config local.users.
// root, postmaster and the like are NOT users unless the OS user is root or config lists them: the default aliases send them on.
import { userInfo } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/schema'

export interface LocalUser {
  /** Lower-case login name; also the mailbox name. */
  name: string
  /** Home directory: where the default .forward is read from. */
  home: string
  /** The .forward file of this user (config `forward`, else <home>/<local.forwardFile>). */
  forwardPath: string
  /** The uid the .forward must be owned by; null = the owner of the home directory (checked when read). */
  uid: number | null
  /** More addresses of this user (config). */
  addresses: string[]
}

/** Who runs Mailroom; injectable so tests can pretend to be someone else. */
export interface SystemUser {
  name: string
  home: string
  uid: number | null
}

/** The OS user running this process; home is $HOME when set (as a login shell would have it), else the passwd entry. */
export function systemUser(env: NodeJS.ProcessEnv = process.env): SystemUser {
  let info: { username: string; homedir: string; uid: number } | null = null
  try {
    info = userInfo()
  } catch {
    // no passwd entry for this uid (containers): fall back to the environment
  }
  const name = (info?.username ?? env.USER ?? env.LOGNAME ?? 'user').toLowerCase()
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : info?.homedir ?? '/'
  const uid = info !== null && info.uid >= 0 ? info.uid : process.getuid?.() ?? null
  return { name, home, uid }
}

type LocalConfig = Pick<Config, 'local'>

/** All local users: the OS user first (a config entry of the same name overrides its home, .forward and uid), then the configured ones. */
export function localUsers(config: LocalConfig, system: SystemUser = systemUser()): LocalUser[] {
  const forwardFile = config.local.forwardFile
  const configured = config.local.users.map((user): LocalUser => ({
    name: user.name.toLowerCase(),
    home: user.home,
    forwardPath: user.forward ?? join(user.home, forwardFile),
    uid: user.uid ?? null,
    addresses: user.addresses
  }))
  const osEntry = configured.find((user) => user.name === system.name)
  const osUser: LocalUser = osEntry !== undefined
    ? { ...osEntry, uid: osEntry.uid ?? system.uid }
    : { name: system.name, home: system.home, forwardPath: join(system.home, forwardFile), uid: system.uid, addresses: [] }
  const seen = new Set([osUser.name])
  const others = configured.filter((user) => {
    if (seen.has(user.name)) return false
    seen.add(user.name)
    return true
  })
  return [osUser, ...others]
}

/** The local user with this login name (case-insensitive), or undefined. */
export function findLocalUser(config: LocalConfig, name: string, system: SystemUser = systemUser()): LocalUser | undefined {
  const wanted = name.toLowerCase()
  return localUsers(config, system).find((user) => user.name === wanted)
}
