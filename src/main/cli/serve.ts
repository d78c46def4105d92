// `mailroom serve`: the core plus the renderer over HTTP/WebSocket on 127.0.0.1; prints the URL (with its token) on stdout.
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import { startBrowserServer } from '../ipc/browser-server'
import { openInBrowser, rendererDir, waitForStopSignal } from './runtime'

export interface ServeOptions {
  port: number
  open: boolean
  verbose: boolean
}

export function parseServeArgs(argv: readonly string[]): ServeOptions {
  const options: ServeOptions = { port: 0, open: false, verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--open') options.open = true
    else if (arg === '-v' || arg === '--verbose') options.verbose = true
    else if (arg === '--port') {
      const port = Number(argv[++i])
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('INVALID_ARGUMENT', `--port needs a number from 0 to 65535, not "${argv[i] ?? ''}"`)
      options.port = port
    } else throw new AppError('INVALID_ARGUMENT', `unknown option ${arg ?? ''} (usage: mailroom serve [--port N] [--open] [-v])`)
  }
  return options
}

export async function runServe(argv: readonly string[]): Promise<number> {
  const options = parseServeArgs(argv)
  const { createApp } = await import('../app/container')
  const app = await createApp({ mode: 'browser', logToStderr: options.verbose })
  await app.startRunner()
  const server = await startBrowserServer({ rendererDir: rendererDir(), dispatch: app.dispatch, events: app.events, log: app.log, port: options.port })
  process.stdout.write(server.url + '\n')
  app.log.info('browser', `browser mode on ${server.origin}`)
  if (options.open && !openInBrowser(server.url)) process.stderr.write('mailroom serve: no desktop browser to open; open the URL above yourself\n')
  await waitForStopSignal()
  await server.close()
  await app.close()
  return EX.OK
}
