// End to end in Debian's Chromium: a message Postfix refuses (550) bounces into the Local mailbox, opens as a bounce card,
// and "Edit and resend to the failed recipients" opens the composer with only the failed recipient.
import { expect, test } from '@playwright/test'
import { stopAll } from '../support/cleanup'
import type { DnsInstance } from '../support/dnsmasq'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import type { PostfixInstance } from '../support/postfix'
import { playwrightRequirement } from '../support/requirements'
import { startRemoteMx } from '../support/world'

const requirement = playwrightRequirement(['root', 'postfix', 'dnsmasq', 'chromium'], 'e2e bounce card')

test.describe('a bounce in the Local mailbox', () => {
  test.skip(requirement.skip, requirement.reason)

  let dns: DnsInstance
  let postfix: PostfixInstance
  let home: string
  let serve: ServeProcess

  test.beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx({ 'gone@remote.test': '550 5.1.1 no such user here' }))
    // No IMAP account: the app runs on the Local account; sends go out at once (no undo window).
    home = await makeHome({ dnsServer: dns.server, config: { queue: { undoSendSeconds: 0 } } })
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  test('opens as a card and resends to the failed recipient only', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)

    await page.getByTestId('compose-button').click()
    await page.getByTestId('compose-to').fill('gone@remote.test, bob@remote.test')
    await page.getByTestId('compose-subject').fill('Quarterly report')
    await page.getByTestId('compose-body').fill('The figures are attached in spirit.')
    await page.getByTestId('compose-send').click()

    const item = page.getByTestId('outbox-item').filter({ hasText: 'Quarterly report' })
    await expect(item.locator('[data-testid="recipient-state"][data-address="gone@remote.test"]')).toHaveAttribute('data-state', 'failed')
    await expect(item.locator('[data-testid="recipient-state"][data-address="bob@remote.test"]')).toHaveAttribute('data-state', 'sent')
    expect((await postfix.waitForMessages(1)).some((m) => m.raw.includes('Delivered-To: bob@remote.test'))).toBe(true)

    await page.getByTestId('nav-inbox-local').click()
    const row = page.getByTestId('message-row').filter({ hasText: 'Undelivered Mail' })
    await expect(row).toBeVisible()
    await row.click()
    const card = page.getByTestId('bounce-card')
    await expect(card).toHaveAttribute('data-kind', 'failure')
    await expect(page.getByTestId('bounce-headline')).toContainText('Quarterly report')
    await expect(page.getByTestId('bounce-recipient')).toHaveCount(1)
    await expect(page.getByTestId('bounce-recipient')).toHaveAttribute('data-address', 'gone@remote.test')
    await expect(page.getByTestId('bounce-diagnostic')).toContainText('no such user')
    await page.screenshot({ path: 'test-results/bounce-card.png', fullPage: true })

    await page.getByTestId('bounce-resend').click()
    await expect(page.getByTestId('compose-to')).toHaveValue('gone@remote.test')
    await expect(page.getByTestId('compose-subject')).toHaveValue('Quarterly report')
    expect(pageErrors).toEqual([])
  })
})
