// End to end in Debian's Chromium on the Local account: read plain and HTML mail (quote folding, links, attachments),
// search, reply (delivered back into the Local mailbox with In-Reply-To/References), keyboard shortcuts, dark mode.
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import { playwrightRequirement } from '../support/requirements'

const requirement = playwrightRequirement(['chromium'], 'e2e reading')

const LUNCH = [
  'From: Carol <root@localhost>',
  'To: root@mailroom.test',
  'Cc: dave@localhost',
  'Subject: Lunch on Friday?',
  'Message-ID: <lunch1@localhost>',
  'Date: Tue, 24 Nov 2026 12:00:00 +0000',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Shall we meet at noon?',
  'The menu is at https://example.org/menu',
  '',
  '> Earlier: are you free this week?',
  '> Maybe Friday.',
  '> Or Thursday.',
  '',
  '-- ',
  'Carol',
  ''
].join('\r\n')

const NEWSLETTER = [
  'From: News <news@example.org>',
  'To: root@mailroom.test',
  'Subject: November newsletter',
  'Message-ID: <news11@example.org>',
  'Date: Wed, 25 Nov 2026 08:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<h1 style="color:#2f64d6">November</h1><p>Read <a href="https://example.org/november">the full story</a> or <a href="mailto:editor@example.org?subject=Letter">write to the editor</a>.</p>',
  '--b1',
  'Content-Type: text/plain; name="agenda.txt"',
  'Content-Disposition: attachment; filename="agenda.txt"',
  '',
  'Agenda: everything.',
  '--b1--',
  ''
].join('\r\n')

test.describe('reading, searching and replying in the Local account', () => {
  test.skip(requirement.skip, requirement.reason)

  let home: string
  let serve: ServeProcess
  let maildir: string

  test.beforeAll(async () => {
    requireBuild()
    // Sends go out at once (no undo window): the reply is delivered locally right away.
    home = await makeHome({ config: { queue: { undoSendSeconds: 0 } } })
    maildir = join(home, 'mail', userInfo().username.toLowerCase(), 'Maildir')
    for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(maildir, sub), { recursive: true })
    await writeFile(join(maildir, 'new', '1764000000.M1P1.mailroom.test'), LUNCH)
    await writeFile(join(maildir, 'new', '1764057600.M2P1.mailroom.test'), NEWSLETTER)
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    if (home !== undefined) await removeHome(home)
  })

  /** Lists the Local inbox (again), until `subject` shows up. */
  async function showRow(page: Page, subject: string): Promise<void> {
    const row = page.getByTestId('message-row').filter({ hasText: subject })
    await expect(async () => {
      if (!(await row.first().isVisible())) await page.getByTestId('mailbox-refresh').click()
      await expect(row.first()).toBeVisible({ timeout: 2000 })
    }).toPass({ timeout: 30_000 })
  }

  async function messageFileWith(text: string): Promise<string | null> {
    for (const sub of ['new', 'cur']) {
      for (const name of await readdir(join(maildir, sub))) {
        const raw = await readFile(join(maildir, sub, name), 'utf8').catch(() => '')
        if (raw.includes(text)) return raw
      }
    }
    return null
  }

  test('read, search, reply; the reply threads under the original', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)
    await page.getByTestId('nav-inbox-local').click()
    await showRow(page, 'Lunch on Friday?')
    await showRow(page, 'November newsletter')

    // HTML: sandboxed frame, links listed below it, the attachment with type and size.
    await page.getByTestId('message-row').filter({ hasText: 'November newsletter' }).click()
    await expect(page.getByTestId('reader-html')).toHaveAttribute('sandbox', '')
    await expect(page.frameLocator('[data-testid="reader-html"]').locator('h1')).toHaveText('November')
    await expect(page.getByTestId('reader-link')).toHaveText(['https://example.org/november', 'mailto:editor@example.org?subject=Letter'])
    await expect(page.getByTestId('reader-attachment')).toContainText('agenda.txt')
    await expect(page.getByTestId('reader-attachment')).toContainText('text/plain')
    await page.screenshot({ path: 'test-results/reading-html.png', fullPage: true })

    // mailto: in the links list opens the composer.
    await page.getByTestId('reader-link').filter({ hasText: 'mailto:' }).click()
    await expect(page.getByTestId('compose-to')).toHaveValue('editor@example.org')
    await expect(page.getByTestId('compose-subject')).toHaveValue('Letter')
    await page.getByTestId('compose-discard').click()

    // Plain text: the quoted run is folded, the URL is a link; j/k move through the list.
    await page.getByTestId('nav-inbox-local').click()
    await page.getByTestId('message-row').filter({ hasText: 'Lunch on Friday?' }).click()
    await expect(page.getByTestId('reader-body')).toContainText('Shall we meet at noon?')
    await expect(page.getByTestId('reader-quote-toggle')).toHaveText(/Show quoted text \(3 lines\)/)
    await expect(page.getByTestId('reader-text-link')).toHaveAttribute('href', 'https://example.org/menu')
    await page.getByTestId('reader-quote-toggle').click()
    await expect(page.getByTestId('reader-quote')).toContainText('Maybe Friday.')
    await page.keyboard.press('k')
    await expect(page.getByTestId('reader-subject')).toHaveText('November newsletter')
    await page.keyboard.press('j')
    await expect(page.getByTestId('reader-subject')).toHaveText('Lunch on Friday?')

    // Search: "/" focuses the field.
    await page.keyboard.press('/')
    await expect(page.getByTestId('search-input')).toBeFocused()
    await page.keyboard.type('noon')
    await page.keyboard.press('Enter')
    await expect(page.getByTestId('search-status')).toContainText('for “noon”')
    await expect(page.getByTestId('message-row')).toHaveCount(1)
    await expect(page.getByTestId('message-row')).toContainText('Lunch on Friday?')
    await page.screenshot({ path: 'test-results/reading-search.png', fullPage: true })
    await page.getByTestId('search-clear').click()
    await expect(page.getByTestId('message-row')).toHaveCount(2)

    // Reply all with "a": quoted under an attribution line, the user's own address dropped, Re: once.
    await page.getByTestId('message-row').filter({ hasText: 'Lunch on Friday?' }).click()
    await expect(page.getByTestId('reader-subject')).toHaveText('Lunch on Friday?')
    await page.keyboard.press('a')
    await expect(page.getByTestId('compose-to')).toHaveValue('Carol <root@localhost>')
    await expect(page.getByTestId('compose-cc')).toHaveValue('dave@localhost')
    await expect(page.getByTestId('compose-subject')).toHaveValue('Re: Lunch on Friday?')
    const body = page.getByTestId('compose-body')
    await expect(body).toHaveValue(/Carol wrote:\n> Shall we meet at noon\?\n/)
    await expect(body).toHaveValue(/>> Maybe Friday\./)
    await expect(body).not.toHaveValue(/^> Carol$/m)
    await page.getByTestId('compose-cc').fill('')
    await body.focus()
    await page.keyboard.press('Control+Home')
    await page.keyboard.type('Yes, noon works.')
    await page.screenshot({ path: 'test-results/reading-reply.png', fullPage: true })
    await page.getByTestId('compose-send').click()
    await expect(page.getByTestId('outbox-item').filter({ hasText: 'Re: Lunch on Friday?' })).toHaveAttribute('data-state', 'sent')

    // Delivered back to the Local mailbox, threaded by In-Reply-To/References.
    let raw: string | null = null
    await expect.poll(async () => (raw = await messageFileWith('Subject: Re: Lunch on Friday?')) !== null, { timeout: 30_000 }).toBe(true)
    expect(raw).toMatch(/^In-Reply-To: <lunch1@localhost>\r?$/m)
    expect(raw).toMatch(/^References: <lunch1@localhost>\r?$/m)
    await page.getByTestId('nav-inbox-local').click()
    await showRow(page, 'Re: Lunch on Friday?')
    await page.getByTestId('message-row').filter({ hasText: 'Re: Lunch on Friday?' }).click()
    await expect(page.getByTestId('reader-body')).toContainText('Yes, noon works.')
    await expect(page.getByTestId('reader-quote-toggle')).toBeVisible()

    // Dark mode, kept across a reload.
    await page.getByTestId('theme-toggle').click()
    await page.getByTestId('theme-toggle').click()
    await expect(page.getByTestId('theme-toggle')).toHaveAttribute('data-mode', 'dark')
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
    // The colours follow: light-dark() in main.css picks the dark value under color-scheme: dark.
    await expect(page.locator('body')).toHaveCSS('background-color', 'rgb(27, 29, 33)')
    await page.screenshot({ path: 'test-results/reading-dark.png', fullPage: true })
    await page.reload()
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark')
    expect(pageErrors).toEqual([])
  })
})
