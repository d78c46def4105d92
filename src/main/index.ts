// Electron entry: starts the core, opens the sandboxed window and binds the IPC contract. The only other Electron code is in shell/ and preload/.
import { app, BrowserWindow, dialog, ipcMain, net, powerMonitor, shell } from 'electron'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createApp, type App } from './app/container'
import { NETWORK_POLL_MS } from './config/timeouts'
import { bindIpc } from './shell/ipc'
import { createKeychainSecretStore } from './shell/secrets'
import { resolveHome } from './config/paths'
import { createMainWindow, rendererLocation } from './shell/window'

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..')
let core: App | null = null

app.enableSandbox()
if (!app.requestSingleInstanceLock()) app.quit()

app.on('second-instance', () => {
  const [win] = BrowserWindow.getAllWindows()
  if (win !== undefined) {
    if (win.isMinimized()) win.restore()
    win.focus()
  }
})

app.whenReady().then(async () => {
  try {
    // Account passwords in the OS keychain (safeStorage needs the app to be ready).
    core = await createApp({
      mode: 'electron',
      secrets: createKeychainSecretStore(resolveHome()),
      // shell.openPath answers '' on success, else the reason.
      openPath: async (path) => (await shell.openPath(path)) === ''
    })
  } catch (error) {
    dialog.showErrorBox('Mailroom cannot start', (error as Error).message)
    app.exit(78)
    return
  }
  await core.startRunner()
  // Tell the queue when the network comes and goes, so it retries at once instead of counting failed attempts.
  const queue = core.queue
  queue.setNetworkOnline(net.isOnline())
  powerMonitor.on('resume', () => queue.setNetworkOnline(net.isOnline()))
  const networkPoll = setInterval(() => queue.setNetworkOnline(net.isOnline()), NETWORK_POLL_MS)
  app.on('will-quit', () => clearInterval(networkPoll))
  const trusted = rendererLocation(outDir)
  bindIpc(ipcMain, core.dispatch, core.events, trusted, () => BrowserWindow.getAllWindows())
  createMainWindow(outDir, trusted)
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(outDir, trusted)
  })
}, (error: unknown) => {
  console.error(error)
  app.exit(70)
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})

app.on('will-quit', (event) => {
  if (core === null) return
  event.preventDefault()
  const closing = core
  core = null
  void closing.close().finally(() => app.exit(0))
})
