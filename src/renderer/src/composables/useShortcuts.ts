// Keyboard shortcuts of the mail view: j/k next/previous, r reply, a reply all, f forward, # delete, / search, c compose, u mark unread.
import { onBeforeUnmount, onMounted } from 'vue'

export type ShortcutAction = 'next' | 'previous' | 'reply' | 'replyAll' | 'forward' | 'delete' | 'search' | 'compose' | 'markUnread'

export const SHORTCUTS: Readonly<Record<string, ShortcutAction>> = {
  j: 'next',
  k: 'previous',
  r: 'reply',
  a: 'replyAll',
  f: 'forward',
  '#': 'delete',
  '/': 'search',
  c: 'compose',
  u: 'markUnread'
}

/** What the user sees in the help list. */
export const SHORTCUT_HELP: ReadonlyArray<[string, string]> = [
  ['j / k', 'next / previous message'],
  ['r', 'reply'],
  ['a', 'reply all'],
  ['f', 'forward'],
  ['#', 'delete'],
  ['/', 'search'],
  ['c', 'compose'],
  ['u', 'mark unread']
]

type KeyEventLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target' | 'isComposing' | 'defaultPrevented'>

/** True when typing goes into a field: shortcuts must not steal letters there. */
function typingInto(target: EventTarget | null): boolean {
  if (target === null || typeof (target as Element).closest !== 'function') return false
  const element = target as HTMLElement
  if (element.isContentEditable) return true
  return element.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]') !== null
}

/** The action a key press asks for, or null (modifiers, typing in a field, IME composition, unknown keys). */
export function shortcutFor(event: KeyEventLike): ShortcutAction | null {
  if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return null
  if (typingInto(event.target)) return null
  return SHORTCUTS[event.key] ?? null
}

/** Listens on the window while the calling component is mounted; `handle` returns false to let the key through. */
export function useShortcuts(handle: (action: ShortcutAction) => boolean | void, target: Pick<Window, 'addEventListener' | 'removeEventListener'> = window): void {
  const listener = (event: Event): void => {
    const action = shortcutFor(event as KeyboardEvent)
    if (action === null) return
    if (handle(action) !== false) event.preventDefault()
  }
  onMounted(() => target.addEventListener('keydown', listener))
  onBeforeUnmount(() => target.removeEventListener('keydown', listener))
}
