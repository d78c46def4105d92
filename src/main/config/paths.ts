// Where Mailroom keeps its data: MAILROOM_HOME (default ~/.local/share/mailroom) and the fixed layout below it.
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export interface Paths {
  home: string
  config: string
  etc: string
  spool: string
  mail: string
  cache: string
  log: string
  maillog: string
  run: string
  controlSocket: string
  queueLock: string
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MAILROOM_HOME
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv)
  const dataHome = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(dataHome, 'mailroom')
}

export function pathsFor(home: string): Paths {
  const run = join(home, 'run')
  return {
    home,
    config: join(home, 'config.json'),
    etc: join(home, 'etc'),
    spool: join(home, 'spool'),
    mail: join(home, 'mail'),
    cache: join(home, 'cache'),
    log: join(home, 'log'),
    maillog: join(home, 'log', 'maillog'),
    run,
    controlSocket: join(run, 'mailroom.sock'),
    queueLock: join(run, 'queue.lock')
  }
}
