// Sandboxed preload: exposes exactly the Transport interface (invoke + events) to the page, nothing of ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { Transport } from '../shared/client'
import type { Result } from '../shared/result'
import { IPC_EVENT_CHANNEL, IPC_INVOKE_CHANNEL } from '../shared/wire'

const bridge: Transport = {
  invoke: (name, args) => ipcRenderer.invoke(IPC_INVOKE_CHANNEL, name, args) as Promise<Result<unknown>>,
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, name: string, payload: unknown): void => listener(name, payload)
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler)
    }
  }
}

contextBridge.exposeInMainWorld('mailroomBridge', bridge)
