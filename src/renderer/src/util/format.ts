// Display formatting of dates, times and sizes in the user's locale, never the raw wire values.

const sameDay = (a: Date, b: Date): boolean =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()

/** Short date for lists: the time today, day and month this year, the full date before. */
export function formatListDate(ms: number | null, now: Date = new Date()): string {
  if (ms === null) return ''
  const date = new Date(ms)
  if (sameDay(date, now)) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
  if (date.getFullYear() === now.getFullYear()) return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
  return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}

/** Full date and time, for headers and next-attempt times. */
export function formatDateTime(ms: number | null): string {
  if (ms === null) return 'unknown date'
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** "in 4 min", "in 2 h", "now" for a time in the future. */
export function formatRelative(ms: number, now: number = Date.now()): string {
  const minutes = Math.round((ms - now) / 60_000)
  if (minutes <= 0) return 'now'
  if (minutes < 60) return `in ${minutes} min`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `in ${hours} h`
  return `in ${Math.round(hours / 24)} days`
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`
}

/** A countdown to a time in the future: "8 s", "4 min 05 s", "3 h 12 min", "2 days 4 h"; "0 s" once it has passed. */
export function formatCountdown(ms: number, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.ceil((ms - now) / 1000))
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} days ${hours % 24} h`
}

/** ISO form for `<time datetime>`, so assistive tools and tests read the exact moment. */
export const isoTime = (ms: number): string => new Date(ms).toISOString()
