// End to end in Debian's Chromium: compose and send from the page, watch the outbox entry turn to sent, read a seeded message.
import { expect, test } from '@playwright/test'
import { stopAll } from '../support/cleanup'
import type { DnsInstance } from '../support/dnsmasq'
import { startDovecot, type DovecotInstance } from '../support/dovecot'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import type { PostfixInstance } from '../support/postfix'
import { playwrightRequirement } from '../support/requirements'
import { startRemoteMx } from '../support/world'

const requirement = playwrightRequirement(['root', 'postfix', 'dovecot', 'dnsmasq', 'chromium'], 'e2e walking skeleton')

test.describe('walking skeleton in the browser', () => {
  test.skip(requirement.skip, requirement.reason)

  let dns: DnsInstance
  let postfix: PostfixInstance
  let dovecot: DovecotInstance
  let home: string
  let serve: ServeProcess

  test.beforeAll(async () => {
    requireBuild()
    ;({ dns, postfix } = await startRemoteMx())
    dovecot = await startDovecot({ address: '127.0.0.1' })
    await dovecot.deliver('alice', 'From: Carol <carol@remote.test>\r\nTo: alice@imap.test\r\nSubject: Welcome to Mailroom\r\nDate: Wed, 25 Nov 2026 09:00:00 +0000\r\n\r\nThis message came in through Dovecot LMTP.\r\nRead it in the reader pane.\r\n')
    home = await makeHome({ dnsServer: dns.server, imapPort: dovecot.imapPort })
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  test('compose → queued → sent, then read a message from Dovecot', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)
    // The token leaves the address bar once the page has it.
    await expect(page).not.toHaveURL(/token=/)

    await page.getByTestId('compose-button').click()
    await expect(page.getByTestId('compose-from')).toHaveValue('alice@imap.test')
    await page.getByTestId('compose-to').fill('bob@@remote.test')
    await page.getByTestId('compose-subject').fill('Hello from Chromium')
    await page.getByTestId('compose-body').fill('Sent through the real backend.')
    await page.getByTestId('compose-send').click()
    await expect(page.getByTestId('compose-to-error')).toContainText('not a valid address')

    await page.getByTestId('compose-to').fill('Bob <bob@remote.test>, carol@remote.test')
    await page.getByTestId('compose-send').click()

    const item = page.getByTestId('outbox-item').first()
    await expect(item).toBeVisible()
    await expect(item).toHaveAttribute('data-state', 'sent')
    await expect(item.locator('[data-testid="recipient-state"][data-address="bob@remote.test"]')).toHaveAttribute('data-state', 'sent')
    await expect(item.locator('[data-testid="recipient-state"][data-address="carol@remote.test"]')).toHaveAttribute('data-state', 'sent')
    const delivered = (await postfix.waitForMessages(2)).filter((m) => m.raw.includes('Subject: Hello from Chromium'))
    expect(delivered.map((m) => /^Delivered-To: (.*)$/m.exec(m.raw)?.[1]).sort()).toEqual(['bob@remote.test', 'carol@remote.test'])
    await page.screenshot({ path: 'test-results/walking-skeleton-outbox.png', fullPage: true })

    await page.getByTestId('nav-inbox-work').click()
    const row = page.getByTestId('message-row').filter({ hasText: 'Welcome to Mailroom' })
    await expect(row).toBeVisible()
    await row.click()
    await expect(page.getByTestId('reader-subject')).toHaveText('Welcome to Mailroom')
    await expect(page.getByTestId('reader-body')).toContainText('This message came in through Dovecot LMTP.')
    await page.screenshot({ path: 'test-results/walking-skeleton-reader.png', fullPage: true })
    expect(pageErrors).toEqual([])
  })

  test('a page without the token is told how to get in', async ({ page }) => {
    await page.goto(serve.origin + '/')
    await expect(page.getByTestId('connection-banner')).toContainText('mailroom serve')
  })
})
