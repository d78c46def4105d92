// Process helpers for long-running commands: locate the built renderer, wait for a stop signal, open the user's browser.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** out/renderer, found from wherever the bundler put this chunk (out/main or out/main/chunks). */
export function rendererDir(): string {
  const fromEnv = process.env.MAILROOM_RENDERER_DIR
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'renderer')
    if (existsSync(join(candidate, 'index.html'))) return candidate
    const inOut = join(dir, 'out', 'renderer')
    if (existsSync(join(inOut, 'index.html'))) return inOut
    dir = dirname(dir)
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'renderer')
}

export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/** Opens a URL in the default browser when there is a desktop to open it on; returns whether it tried. */
export function openInBrowser(url: string): boolean {
  const platform = process.platform
  let command: string | null = null
  let args: string[] = [url]
  if (platform === 'darwin') command = 'open'
  else if (platform === 'win32') {
    command = 'cmd'
    args = ['/c', 'start', '""', url]
  } else if ((process.env.DISPLAY ?? process.env.WAYLAND_DISPLAY ?? '') !== '') command = 'xdg-open'
  if (command === null) return false
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' })
    child.on('error', () => undefined)
    child.unref()
    return true
  } catch {
    return false
  }
}
