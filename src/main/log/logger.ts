// The one log service: maillog-style lines to MAILROOM_HOME/log/maillog (and optionally stderr).
import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** Fields of a delivery event, written in Postfix's order: to=<…>, relay=…, delay=…, delays=…, dsn=…, status=… (reply). */
export interface MailEvent {
  to?: string
  from?: string
  relay?: string
  delay?: number
  /** Postfix's a/b/c/d breakdown in seconds (see formatDelays). */
  delays?: string
  dsn?: string
  status?: string
  reply?: string
  [extra: string]: string | number | undefined
}

export interface Logger {
  log(level: LogLevel, component: string, message: string): void
  info(component: string, message: string): void
  warn(component: string, message: string): void
  error(component: string, message: string): void
  /** A per-message event: `<id>: to=<…>, relay=…, delay=…, dsn=…, status=… (reply)`. */
  mail(component: string, queueId: string, event: MailEvent): void
}

const ORDER = ['from', 'to', 'relay', 'delay', 'delays', 'dsn', 'status']

/** Seconds as Postfix writes them in delays=: at most two decimals below 10 s, whole seconds above ("0.45", "0", "12"). */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, seconds)
  if (s >= 10) return s.toFixed(0)
  const fixed = s.toFixed(2).replace(/\.?0+$/, '')
  return fixed === '' ? '0' : fixed
}

/**
 * Postfix's delays=a/b/c/d: a = before this attempt (time in the queue), b = waiting for a delivery slot,
 * c = connection set-up (DNS, connect, greeting, EHLO, TLS), d = transmission (MAIL FROM to the final reply).
 */
export function formatDelays(a: number, b: number, c: number, d: number): string {
  return [a, b, c, d].map(formatSeconds).join('/')
}

export function formatMailEvent(queueId: string, event: MailEvent): string {
  const parts: string[] = []
  const keys = [...ORDER.filter((k) => k in event), ...Object.keys(event).filter((k) => !ORDER.includes(k) && k !== 'reply')]
  for (const key of keys) {
    const value = event[key]
    if (value === undefined) continue
    if (key === 'to' || key === 'from') parts.push(`${key}=<${value}>`)
    else if (key === 'delay' && typeof value === 'number') parts.push(`delay=${value.toFixed(2)}`)
    else parts.push(`${key}=${value}`)
  }
  let line = `${queueId}: ${parts.join(', ')}`
  if (event.reply !== undefined) line += ` (${event.reply.replace(/[\r\n]+/g, ' ')})`
  return line
}

function stamp(date: Date): string {
  return date.toISOString()
}

export interface LoggerOptions {
  /** Path of log/maillog; omitted: no file. */
  file?: string
  /** Also write to stderr (daemon in the foreground, `-v`). */
  stderr?: boolean
  level?: LogLevel
  now?: () => number
}

/**
 * Synchronous appends keep line order across components and survive a crash right after the event;
 * the volume is one line per delivery attempt, far below what would make this a bottleneck.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info']
  const now = options.now ?? Date.now
  let fileReady = false
  const write = (line: string): void => {
    if (options.file !== undefined) {
      try {
        if (!fileReady) {
          mkdirSync(dirname(options.file), { recursive: true })
          fileReady = true
        }
        appendFileSync(options.file, line + '\n')
      } catch {
        // A log that cannot be written must never stop mail; stderr still gets it when enabled.
      }
    }
    if (options.stderr === true) process.stderr.write(line + '\n')
  }
  const log = (level: LogLevel, component: string, message: string): void => {
    if (LEVELS[level] < min) return
    const tag = level === 'info' ? '' : `${level}: `
    write(`${stamp(new Date(now()))} mailroom/${component}[${process.pid}]: ${tag}${message}`)
  }
  return {
    log,
    info: (c, m) => log('info', c, m),
    warn: (c, m) => log('warn', c, m),
    error: (c, m) => log('error', c, m),
    mail: (c, id, event) => log('info', c, formatMailEvent(id, event))
  }
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log = (level: LogLevel, component: string, message: string): void => {
    lines.push(`${level} ${component}: ${message}`)
  }
  return {
    lines,
    log,
    info: (c, m) => log('info', c, m),
    warn: (c, m) => log('warn', c, m),
    error: (c, m) => log('error', c, m),
    mail: (c, id, event) => log('info', c, formatMailEvent(id, event))
  }
}
