// Light or dark: follows prefers-color-scheme until the user picks one; the choice is kept in localStorage.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export type ThemeMode = 'system' | 'light' | 'dark'

export const THEME_KEY = 'mailroom.theme'
const MODES: readonly ThemeMode[] = ['system', 'light', 'dark']

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

function stored(): ThemeMode {
  const value = storage()?.getItem(THEME_KEY)
  return MODES.includes(value as ThemeMode) ? (value as ThemeMode) : 'system'
}

/** Sets data-theme on <html> (main.css reads it); 'system' removes it so the media query decides. */
function apply(mode: ThemeMode): void {
  if (typeof document === 'undefined') return
  if (mode === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = mode
}

export const useThemeStore = defineStore('theme', () => {
  const mode = ref<ThemeMode>(stored())
  apply(mode.value)

  function set(next: ThemeMode): void {
    mode.value = next
    apply(next)
    try {
      if (next === 'system') storage()?.removeItem(THEME_KEY)
      else storage()?.setItem(THEME_KEY, next)
    } catch {
      // A full or disabled storage only loses the memory of the choice.
    }
  }

  /** The toggle: system → light → dark → system. */
  function cycle(): void {
    set(MODES[(MODES.indexOf(mode.value) + 1) % MODES.length] as ThemeMode)
  }

  return { mode, set, cycle }
})
