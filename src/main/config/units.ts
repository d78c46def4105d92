// Durations ("90s", "30m", "4h", "5d", or seconds as a number) and sizes ("512k", "100M", "1G", or bytes) in config.json.
import { z } from 'zod'

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/** Milliseconds of "30m" / "4h" / 90 (seconds); null when it does not parse. */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(value)
  if (match === null) return null
  return Math.round(Number(match[1]) * (DURATION_UNITS[(match[2] as string).toLowerCase()] as number))
}

/** Bytes of "100M" / "1G" / 4096; null when it does not parse. */
export function parseSize(value: string | number): number | null {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : null
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(value)
  if (match === null) return null
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] as string).toLowerCase()] as number))
}

/** A config duration: accepts "4h" or seconds, yields milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (use seconds, or a number with s, m, h, d or w: "30m", "4h", "5d")` })
    return z.NEVER
  }
  return ms
})

/** A config size: accepts "100M" or bytes, yields bytes. */
export const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseSize(value)
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (use bytes, or a number with k, M, G: "100M")` })
    return z.NEVER
  }
  return bytes
})
