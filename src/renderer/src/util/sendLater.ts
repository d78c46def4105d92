// Send-later choices (in one hour, tomorrow morning, a custom local date and time) turned into a sendAt in ms.

/** The hour of "tomorrow morning". */
export const MORNING_HOUR = 8

export function inOneHour(now: number): number {
  return now + 60 * 60 * 1000
}

/** Tomorrow at 8:00 in the user's time zone. */
export function tomorrowMorning(now: number): number {
  const date = new Date(now)
  date.setDate(date.getDate() + 1)
  date.setHours(MORNING_HOUR, 0, 0, 0)
  return date.getTime()
}

/** The value a `datetime-local` input wants for a time: "2026-11-25T16:05" (seconds when they are not zero). */
export function toLocalInputValue(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number): string => String(n).padStart(2, '0')
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
  return d.getSeconds() === 0 ? base : `${base}:${pad(d.getSeconds())}`
}

export type SendAtChoice = { ok: true; sendAt: number } | { ok: false; problem: string }

/** Reads a `datetime-local` value as local time; it must be a real date in the future. */
export function parseSendAt(value: string, now: number): SendAtChoice {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim())
  if (match === null) return { ok: false, problem: 'Choose a date and a time' }
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number]
  const date = new Date(year, month - 1, day, hour, minute, second)
  if (date.getMonth() !== month - 1 || date.getDate() !== day) return { ok: false, problem: 'That date does not exist' }
  const sendAt = date.getTime()
  if (sendAt <= now) return { ok: false, problem: 'Choose a time in the future' }
  return { ok: true, sendAt }
}
