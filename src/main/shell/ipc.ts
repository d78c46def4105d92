// Binds the IPC contract to Electron's ipcMain, refusing calls from any frame but our own renderer page.
import type { BrowserWindow, IpcMain } from 'electron'
import { fail } from '../../shared/result'
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../../shared/wire'
import type { Dispatch } from '../ipc/dispatch'
import type { EventHub } from '../ipc/events'
import { isTrustedSender, type TrustedRenderer } from '../ipc/sender-check'

export function bindIpc(ipcMain: IpcMain, dispatch: Dispatch, events: EventHub, trusted: TrustedRenderer, windows: () => BrowserWindow[]): () => void {
  ipcMain.handle(IPC_INVOKE_CHANNEL, async (event, name: unknown, args: unknown) => {
    const frame = event.senderFrame
    const info = frame == null ? null : { url: frame.url, isMainFrame: frame.parent === null }
    if (!isTrustedSender(info, trusted)) return fail('UNAUTHORIZED', 'IPC calls are only accepted from the Mailroom window')
    return dispatch(name, args)
  })
  const unsubscribe = events.subscribe((name, payload) => {
    for (const win of windows()) if (!win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, name, payload)
  })
  return () => {
    unsubscribe()
    ipcMain.removeHandler(IPC_INVOKE_CHANNEL)
  }
}
