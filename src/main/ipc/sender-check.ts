// Decides whether an Electron IPC message comes from our own top-level renderer page (pure, so it is unit-tested).

export interface SenderFrameInfo {
  url: string
  /** True when the frame is the window's main frame (not an iframe such as a mail body). */
  isMainFrame: boolean
}

export interface TrustedRenderer {
  /** file:// URL of out/renderer/index.html in a packaged or built app. */
  fileUrl: string
  /** electron-vite's dev server URL when running `electron-vite dev`. */
  devServerUrl?: string
}

export function isTrustedSender(frame: SenderFrameInfo | null | undefined, trusted: TrustedRenderer): boolean {
  if (frame == null || !frame.isMainFrame) return false
  let url: URL
  try {
    url = new URL(frame.url)
  } catch {
    return false
  }
  if (url.protocol === 'file:') {
    const expected = new URL(trusted.fileUrl)
    return url.pathname === expected.pathname
  }
  if (trusted.devServerUrl !== undefined) {
    return url.origin === new URL(trusted.devServerUrl).origin
  }
  return false
}
