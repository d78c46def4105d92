// End to end in Debian's Chromium: undo send, send with the undo window passing, send later with hold/release, and the outbox screenshot.
import { expect, test, type Page } from '@playwright/test'
import { stopAll } from '../support/cleanup'
import type { DnsInstance } from '../support/dnsmasq'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import type { PostfixInstance } from '../support/postfix'
import { playwrightRequirement } from '../support/requirements'
import { startRemoteMx } from '../support/world'

const requirement = playwrightRequirement(['root', 'postfix', 'dnsmasq', 'chromium'], 'e2e outbox')

/** A short undo window keeps the suite quick; long enough for a click. */
const UNDO_SECONDS = 5
/** How far ahead the custom send-later time is: room to hold it before it fires. */
const SEND_LATER_SECONDS = 15

test.describe('outbox in the browser', () => {
  test.skip(requirement.skip, requirement.reason)

  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string
  let serve: ServeProcess
  let pageErrors: string[]

  test.beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx({ 'later@remote.test': '450 4.2.0 try again later' }))
    home = await makeHome({ dnsServer: dns.server, config: { queue: { undoSendSeconds: UNDO_SECONDS } } })
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  test.beforeEach(async ({ page }) => {
    pageErrors = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)
    await expect(page).not.toHaveURL(/token=/)
  })

  test.afterEach(() => {
    expect(pageErrors).toEqual([])
  })

  async function compose(page: Page, to: string, subject: string, body: string): Promise<void> {
    await page.getByTestId('compose-button').click()
    await expect(page.getByTestId('compose-from')).not.toHaveValue('')
    await page.getByTestId('compose-to').fill(to)
    await page.getByTestId('compose-subject').fill(subject)
    await page.getByTestId('compose-body').fill(body)
  }

  const itemWithSubject = (page: Page, subject: string) => page.getByTestId('outbox-item').filter({ hasText: subject })

  async function deliveredWith(subject: string): Promise<number> {
    return (await postfix.messages()).filter((m) => m.raw.includes(`Subject: ${subject}`)).length
  }

  test('send with undo, then Undo: the draft comes back and nothing is delivered', async ({ page }) => {
    const subject = 'Undo me'
    await compose(page, 'bob@remote.test', subject, 'This must never leave.')
    await page.getByTestId('compose-send').click()

    const toast = page.getByTestId('undo-toast')
    await expect(toast).toBeVisible()
    await expect(page.getByTestId('undo-countdown')).toHaveText(/Sending in \d s/)
    await expect(page.getByTestId('undo-button')).toBeFocused()
    await page.getByTestId('undo-button').click()

    await expect(page.getByTestId('compose-subject')).toHaveValue(subject)
    await expect(page.getByTestId('compose-to')).toHaveValue('bob@remote.test')
    await expect(page.getByTestId('compose-body')).toHaveValue('This must never leave.')
    await expect(toast).toHaveCount(0)

    await page.getByTestId('nav-outbox').click()
    await expect(itemWithSubject(page, subject)).toHaveCount(0)
    // Past the end of the window: still nothing at the MX.
    await page.waitForTimeout((UNDO_SECONDS + 2) * 1000)
    expect(await deliveredWith(subject)).toBe(0)
  })

  test('send with undo and let the countdown pass: delivered', async ({ page }) => {
    const subject = 'Countdown passes'
    await compose(page, 'bob@remote.test', subject, 'Delivered after the undo window.')
    await page.getByTestId('compose-send').click()

    await expect(page.getByTestId('undo-toast')).toBeVisible()
    const item = itemWithSubject(page, subject)
    await expect(item.getByTestId('send-countdown')).toContainText(/Sending in \d s/)
    await page.screenshot({ path: 'test-results/outbox-undo-toast.png', fullPage: true })

    await expect(item).toHaveAttribute('data-state', 'sent', { timeout: (UNDO_SECONDS + 20) * 1000 })
    await expect(page.getByTestId('undo-toast')).toHaveCount(0)
    await expect.poll(() => deliveredWith(subject), { timeout: 10_000 }).toBe(1)
  })

  test('send later, hold it past its time, release it: delivered only after the release', async ({ page }) => {
    const subject = 'Later, held, released'
    await compose(page, 'bob@remote.test', subject, 'Scheduled a few seconds ahead.')
    await page.getByTestId('compose-send-later').click()
    await expect(page.getByTestId('send-later-menu')).toBeVisible()
    // The shortest a user can pick: a custom time to the second (the input has step=1).
    const at = await page.evaluate((seconds) => {
      const d = new Date(Date.now() + seconds * 1000)
      const pad = (n: number): string => String(n).padStart(2, '0')
      const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
      return { value: d.getSeconds() === 0 ? base : `${base}:${pad(d.getSeconds())}`, ms: Math.floor(d.getTime() / 1000) * 1000 }
    }, SEND_LATER_SECONDS)
    await page.getByTestId('send-later-custom').fill(at.value)
    await page.getByTestId('send-later-custom-submit').click()

    const item = itemWithSubject(page, subject)
    await expect(item).toHaveAttribute('data-state', 'queued')
    await expect(item.getByTestId('send-countdown')).toContainText('Scheduled for')
    await expect(item.getByTestId('send-countdown')).toContainText(/sending in \d+ s/)
    await expect(page.getByTestId('undo-toast')).toHaveCount(0)

    await item.getByTestId('outbox-hold').click()
    await expect(item).toHaveAttribute('data-state', 'hold')
    await expect(item.getByTestId('hold-badge')).toHaveAttribute('data-kind', 'hold')
    await expect(item.getByTestId('outbox-release')).toBeVisible()

    // Wait until the scheduled time is well past: a held message stays put.
    const waitMs = at.ms - Date.now() + 3000
    if (waitMs > 0) await page.waitForTimeout(waitMs)
    await expect(item).toHaveAttribute('data-state', 'hold')
    expect(await deliveredWith(subject)).toBe(0)

    await item.getByTestId('outbox-release').click()
    await expect(item).toHaveAttribute('data-state', 'sent', { timeout: 20_000 })
    await expect.poll(() => deliveredWith(subject), { timeout: 10_000 }).toBe(1)
  })

  test('screenshot: the outbox with a held and a deferred message', async ({ page }) => {
    await compose(page, 'later@remote.test', 'Greylisted at the MX', 'The MX answers 450 for this recipient.')
    await page.getByTestId('compose-send').click()
    const deferred = itemWithSubject(page, 'Greylisted at the MX')
    await expect(deferred).toHaveAttribute('data-state', 'deferred', { timeout: (UNDO_SECONDS + 20) * 1000 })
    const recipient = deferred.locator('[data-testid="recipient-state"][data-address="later@remote.test"]')
    await expect(recipient).toHaveAttribute('data-state', 'deferred')
    await expect(recipient.getByTestId('recipient-reply')).toContainText('450')
    await expect(recipient.getByTestId('recipient-next')).toContainText('next try in')

    await compose(page, 'bob@remote.test', 'Parked for later', 'Held in the outbox.')
    await page.getByTestId('compose-send-later').click()
    await page.getByTestId('send-later-hour').click()
    const held = itemWithSubject(page, 'Parked for later')
    await expect(held.getByTestId('send-countdown')).toContainText('Scheduled for')
    await held.getByTestId('outbox-hold').click()
    await expect(held).toHaveAttribute('data-state', 'hold')
    await expect(held.getByTestId('hold-badge')).toBeVisible()

    const badge = page.getByTestId('outbox-badge')
    await expect(badge).toBeVisible()
    expect(Number(await badge.textContent())).toBeGreaterThanOrEqual(2)
    await page.screenshot({ path: 'test-results/outbox-held-deferred.png', fullPage: true })
  })

  test('a full queue refuses the send, keeps the draft, names the limit and shows the banner', async ({ page }) => {
    const fullHome = await makeHome({ dnsServer: dns.server, config: { queue: { maxMessages: 1 } } })
    const fullServe = await startServe(fullHome)
    try {
      await page.goto(fullServe.url)
      // One message parked for an hour fills a queue of one.
      await compose(page, 'bob@remote.test', 'Fills the queue', 'Parked.')
      await page.getByTestId('compose-send-later').click()
      await page.getByTestId('send-later-hour').click()
      await expect(itemWithSubject(page, 'Fills the queue')).toHaveAttribute('data-state', 'queued')

      await compose(page, 'bob@remote.test', 'One too many', 'Keep me.')
      await page.getByTestId('compose-send').click()
      await expect(page.getByTestId('compose-error')).toContainText('queue.maxMessages')
      await expect(page.getByTestId('compose-error')).toContainText('Your message is still here')
      await expect(page.getByTestId('compose-body')).toHaveValue('Keep me.')
      await expect(page.getByTestId('undo-toast')).toHaveCount(0)

      await page.getByTestId('nav-outbox').click()
      await expect(page.getByTestId('queue-banner')).toHaveAttribute('data-state', 'refusing')
      await expect(page.getByTestId('queue-banner')).toContainText('queue.maxMessages')
      await page.screenshot({ path: 'test-results/outbox-queue-full.png', fullPage: true })
    } finally {
      await fullServe.stop()
      await removeHome(fullHome)
    }
  })
})
