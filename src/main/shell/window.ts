// Creates the main window: sandboxed, context-isolated, no navigation or new windows, external links to the OS browser.
import { BrowserWindow, shell } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { TrustedRenderer } from '../ipc/sender-check'

export function rendererLocation(outDir: string): TrustedRenderer {
  const devServerUrl = process.env.ELECTRON_RENDERER_URL
  const fileUrl = pathToFileURL(join(outDir, 'renderer', 'index.html')).href
  return devServerUrl === undefined ? { fileUrl } : { fileUrl, devServerUrl }
}

export function createMainWindow(outDir: string, trusted: TrustedRenderer): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    show: false,
    title: 'Mailroom',
    webPreferences: {
      preload: join(outDir, 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: true
    }
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^(https?|mailto):/i.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  win.webContents.on('will-attach-webview', (event) => event.preventDefault())
  if (trusted.devServerUrl !== undefined) void win.loadURL(trusted.devServerUrl)
  else void win.loadFile(join(outDir, 'renderer', 'index.html'))
  return win
}
