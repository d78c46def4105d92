// The courtesy nudge a submitting CLI command (sendmail, vacation) gives a running daemon so it delivers at once.
import { existsSync } from 'node:fs'
import { DAEMON_KICK_TIMEOUT_MS } from '../config/timeouts'

/** Without a socket file there is nobody to tell (and node:net is not loaded); a daemon that does not answer is ignored. */
export async function kickDaemon(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) return
  const { controlRequest } = await import('../ipc/control')
  await controlRequest(socketPath, 'kick', DAEMON_KICK_TIMEOUT_MS).catch(() => null)
}
