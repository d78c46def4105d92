// End to end in Debian's Chromium: add an account pointing at a real Dovecot from the Accounts view, find its
// settings by DNS SRV (dnsmasq), test the connection step by step (wrong password first), save, and see it listed.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { stopAll } from '../support/cleanup'
import { startDns, type DnsInstance } from '../support/dnsmasq'
import { startDovecot, type DovecotInstance } from '../support/dovecot'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import { playwrightRequirement } from '../support/requirements'

const requirement = playwrightRequirement(['root', 'dovecot', 'dnsmasq', 'chromium'], 'e2e accounts')

test.describe('adding an account', () => {
  test.skip(requirement.skip, requirement.reason)

  let dns: DnsInstance
  let dovecot: DovecotInstance
  let home: string
  let serve: ServeProcess

  test.beforeAll(async () => {
    requireBuild()
    dovecot = await startDovecot()
    // imap.test publishes its IMAP server (STARTTLS) by SRV, as RFC 6186 describes.
    dns = await startDns({ records: [`srv-host=_imap._tcp.imap.test,mail.imap.test,${dovecot.imapPort},0,1`, `host-record=mail.imap.test,${dovecot.address}`] })
    home = await makeHome({ dnsServer: dns.server })
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    await dovecot?.stop()
    await stopAll()
    if (home !== undefined) await removeHome(home)
  })

  test('discovers, tests the connection, saves', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)
    await page.getByTestId('nav-accounts').click()
    await expect(page.getByTestId('accounts-empty')).toBeVisible()
    await page.getByTestId('account-add').click()
    await page.getByTestId('account-email').fill('alice@imap.test')
    await page.getByTestId('account-name').fill('Alice')
    await page.getByTestId('account-password').fill('wrong')
    await page.getByTestId('account-discover').click()
    await expect(page.getByTestId('account-discovery')).toHaveAttribute('data-source', 'srv')
    await expect(page.getByTestId('account-imap-host')).toHaveValue('mail.imap.test')
    await expect(page.getByTestId('account-imap-port')).toHaveValue(String(dovecot.imapPort))
    await page.getByTestId('account-imap-user').fill('alice')
    // The test Dovecot's certificate is self-signed for imap.test: first with default verification.
    await page.getByTestId('account-test').click()
    const tls = page.locator('[data-testid="account-test-step"][data-server="imap"][data-step="tls"]')
    await expect(tls).toHaveAttribute('data-ok', 'false')
    await expect(tls).toContainText('self-signed')
    await page.getByTestId('account-accept-certificate').check()
    await page.getByTestId('account-use-smtp').uncheck()
    await page.getByTestId('account-test').click()
    const auth = page.locator('[data-testid="account-test-step"][data-server="imap"][data-step="auth"]')
    await expect(auth).toHaveAttribute('data-ok', 'false')
    await expect(auth).toContainText('refused the login for alice')
    await page.getByTestId('account-password').fill('secret')
    await page.getByTestId('account-test').click()
    await expect(page.getByTestId('account-test-result')).toHaveAttribute('data-ok', 'true')
    await expect(page.getByTestId('account-secret-note')).toContainText('secrets.json')
    await page.screenshot({ path: 'test-results/accounts-connection-test.png', fullPage: true })
    await page.getByTestId('account-save').click()
    await expect(page.getByTestId('account-saved')).toBeVisible()
    await expect(page.getByTestId('account-row')).toHaveAttribute('data-id', 'alice-imap.test')
    await page.screenshot({ path: 'test-results/accounts-list.png', fullPage: true })

    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
    expect(config.accounts).toEqual([{ id: 'alice-imap.test', email: 'alice@imap.test', name: 'Alice', imap: { host: 'mail.imap.test', port: dovecot.imapPort, security: 'starttls', user: 'alice', tls: { rejectUnauthorized: false } } }])
    expect((await stat(join(home, 'secrets.json'))).mode & 0o777).toBe(0o600)
    expect(pageErrors).toEqual([])
  })
})
