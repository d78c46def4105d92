// Browser mode's access token: taken from `#token=…`, removed from the visible URL, kept in sessionStorage for reloads.

export const TOKEN_STORAGE_KEY = 'mailroom.token'

export interface TokenEnvironment {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>
  history: Pick<History, 'replaceState' | 'state'>
  sessionStorage: Pick<Storage, 'getItem' | 'setItem'>
}

/** Returns the token (from the URL fragment first, then sessionStorage), or null when there is none. */
export function takeToken(env: TokenEnvironment): string | null {
  const fragment = new URLSearchParams(env.location.hash.replace(/^#/, ''))
  const fromUrl = fragment.get('token')
  if (fromUrl !== null && fromUrl !== '') {
    try {
      env.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromUrl)
    } catch {
      // Storage can be disabled; the token still works until the page is reloaded.
    }
    fragment.delete('token')
    const rest = fragment.toString()
    // Keep the token out of the address bar, screenshots and the history list.
    env.history.replaceState(env.history.state, '', `${env.location.pathname}${env.location.search}${rest ? `#${rest}` : ''}`)
    return fromUrl
  }
  try {
    const stored = env.sessionStorage.getItem(TOKEN_STORAGE_KEY)
    return stored !== null && stored !== '' ? stored : null
  } catch {
    return null
  }
}

/** `ws://<same host>/ipc?token=…` (wss when the page itself is https). */
export function socketUrl(location: Pick<Location, 'protocol' | 'host'>, path: string, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}${path}?token=${encodeURIComponent(token)}`
}
