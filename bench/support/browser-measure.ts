// For bench/sync: `mailroom serve` on a MAILROOM_HOME with a synced cache, driven by Debian's Chromium (never a downloaded
// browser): app load → first rows, opening the inbox, local search, scrolling, and the serve process's memory.
// Times are taken inside the page (performance.now()): from the click/submit/scroll to the DOM change a
// MutationObserver sees ("dom") and to the next animation frame after it ("frame", the paint of that frame follows).
import { readFile } from 'node:fs/promises'
import { chromium, type Page } from '@playwright/test'
import { startServe } from '../../tests/support/mailroom'
import { median } from './measure'

export const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface Timing {
  dom: number
  frame: number
}

export interface BrowserFigures {
  /** page navigation start → first message row (only when the app opens on the inbox by itself) */
  loadToRows: number | null
  /** Outbox → Inbox click → first rows, each try */
  openInbox: Timing[]
  /** Enter in the search box → "N results" status, each try */
  search: Timing[]
  searchResults: string
  /** scrollTop to the middle of the loaded rows → a row under the list's centre, each try */
  scroll: Timing[]
  rowsLoaded: number
  rssMb: number
  peakRssMb: number
  notes: string[]
}

type Probe = 'rows' | 'search' | 'scroll'

/**
 * In the page (plain JavaScript: this file is compiled without the DOM types): do the action (click a selector, submit
 * the search form, or scroll the list to `fraction` of its height), then watch the DOM until the probe holds. Resolves
 * with ms from the action to the DOM change and to the next animation frame.
 */
const MEASURE_IN_PAGE = `(args) => new Promise((resolve) => {
  const rowsShown = () => document.querySelector('[data-testid="message-row"]') !== null
  const list = document.querySelector('[data-testid="message-list"]')
  let done = false
  const check = () => {
    if (args.probe === 'rows') return rowsShown()
    if (args.probe === 'search') return /result/.test(document.querySelector('[data-testid="search-status"]')?.textContent ?? '')
    if (list === null) return false
    const box = list.getBoundingClientRect()
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2)
    return hit !== null && hit.closest('[data-testid="message-row"]') !== null
  }
  const start = performance.now()
  const observer = new MutationObserver(() => { if (check()) finish() })
  const finish = () => {
    if (done) return
    done = true
    observer.disconnect()
    const dom = performance.now() - start
    requestAnimationFrame(() => resolve({ dom, frame: performance.now() - start }))
  }
  observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true, attributes: true })
  if (args.probe === 'scroll') {
    if (list === null) return resolve({ error: 'no message list' })
    list.scrollTop = list.scrollHeight * args.fraction
    list.addEventListener('scroll', () => { if (check()) finish() }, { once: true })
    requestAnimationFrame(() => { if (check()) finish() })
  } else if (args.probe === 'search') {
    const form = document.querySelector('[data-testid="search-input"]')?.closest('form')
    if (!form) return resolve({ error: 'no search form' })
    form.requestSubmit()
  } else {
    const target = document.querySelector(args.selector)
    if (target === null) return resolve({ error: 'no ' + args.selector })
    target.click()
  }
  if (args.probe !== 'rows' && check()) finish()
  setTimeout(() => { if (!done) { done = true; observer.disconnect(); resolve({ error: 'no result within ' + args.timeoutMs + ' ms' }) } }, args.timeoutMs)
})`

/** Records window.firstRowAt (ms since navigation start) when the first message row enters the DOM. */
const FIRST_ROW_SCRIPT = `(() => {
  const observer = new MutationObserver(() => {
    if (document.querySelector('[data-testid="message-row"]') !== null) { window.firstRowAt = performance.now(); observer.disconnect() }
  })
  observer.observe(document.documentElement, { childList: true, subtree: true })
})()`

async function measure(page: Page, probe: Probe, selector = '', fraction = 0.5): Promise<Timing> {
  const args = { probe, selector, fraction, timeoutMs: 30_000 }
  const result = (await page.evaluate(`(${MEASURE_IN_PAGE})(${JSON.stringify(args)})`)) as Timing | { error: string }
  if ('error' in result) throw new Error(`${probe}: ${result.error}`)
  return result
}

async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

/** Starts serve on `home`, measures with Chromium, stops both. `accountId` names the synced account. */
export async function measureBrowser(home: string, accountId: string, searchWord: string, tries: number): Promise<BrowserFigures> {
  const serve = await startServe(home, 60_000)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true })
  const notes: string[] = []
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.addInitScript(FIRST_ROW_SCRIPT)
    await page.goto(serve.url)
    const inbox = `[data-testid="nav-inbox-${accountId}"]`
    await page.waitForSelector(inbox, { timeout: 60_000 })
    await page.waitForTimeout(2000)
    const firstRowAt = (await page.evaluate('window.firstRowAt ?? null')) as number | null
    if (firstRowAt === null) notes.push('the app does not open on the inbox by itself: no load → rows figure')

    const openInbox: Timing[] = []
    for (let i = 0; i < tries; i++) {
      await page.click('[data-testid="nav-outbox"]')
      await page.waitForSelector('[data-testid="message-row"]', { state: 'detached', timeout: 30_000 })
      openInbox.push(await measure(page, 'rows', inbox))
      await page.waitForTimeout(300)
    }

    const scroll: Timing[] = []
    for (let i = 0; i < tries; i++) {
      scroll.push(await measure(page, 'scroll', '', [0.5, 0.25, 0.75, 0.1, 0.9][i % 5] as number))
      await page.waitForTimeout(300)
    }
    const rowsLoaded = Number(await page.getAttribute('[data-testid="message-list"]', 'data-count'))

    const search: Timing[] = []
    let searchResults = ''
    for (let i = 0; i < tries; i++) {
      await page.fill('[data-testid="search-input"]', `${searchWord}`)
      search.push(await measure(page, 'search'))
      searchResults = (await page.textContent('[data-testid="search-status"]')) ?? ''
      await page.click('[data-testid="search-clear"]')
      await page.waitForSelector('[data-testid="search-status"]', { state: 'detached', timeout: 30_000 }).catch(() => undefined)
      await page.waitForTimeout(300)
    }
    const memory = await memoryOf(serve.child.pid as number)
    return { loadToRows: firstRowAt, openInbox, search, searchResults, scroll, rowsLoaded, rssMb: memory.rss, peakRssMb: memory.peak, notes }
  } finally {
    await browser.close()
    await serve.stop()
  }
}

/** "first 41 / median 23 ms (dom 20)" */
export function describeTimings(list: Timing[]): string {
  if (list.length === 0) return 'n/a'
  const first = list[0] as Timing
  return `first ${first.frame.toFixed(0)} ms, median ${median(list.map((t) => t.frame)).toFixed(0)} ms (DOM: ${first.dom.toFixed(0)} / ${median(list.map((t) => t.dom)).toFixed(0)} ms)`
}
