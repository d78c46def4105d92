// End to end in Debian's Chromium: the rules editor writes the OS user's .forward (a copy to an mbox file), the preview shows the
// new rule before and after saving, and a message composed in the UI to that user follows it (mailbox + the file copy).
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import { playwrightRequirement } from '../support/requirements'

const requirement = playwrightRequirement(['root', 'chromium'], 'e2e rules editor')
const me = userInfo().username.toLowerCase()

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => null)
    if (value !== null) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

test.describe('the rules editor', () => {
  test.skip(requirement.skip, requirement.reason)

  let home: string
  let users: string
  let serve: ServeProcess

  test.beforeAll(async () => {
    requireBuild()
    users = await mkdtemp(join(tmpdir(), 'mailroom-rules-e2e-'))
    await mkdir(join(users, 'me'), { mode: 0o755 })
    await mkdir(join(users, 'bob'), { mode: 0o755 })
    // The OS user's home (and so its .forward) lives in the temp dir: the test never touches the real ~/.forward.
    home = await makeHome({
      config: {
        queue: { undoSendSeconds: 0 },
        local: { users: [{ name: me, home: join(users, 'me') }, { name: 'bob', home: join(users, 'bob') }] }
      }
    })
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    if (home !== undefined) await removeHome(home)
    if (users !== undefined) await rm(users, { recursive: true, force: true })
  })

  test('edit .forward, preview, save, and a message from the UI follows the new rule', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const forward = join(users, 'me', '.forward')
    const copy = join(users, 'copy.mbox')
    await page.goto(serve.url)

    await page.getByTestId('nav-rules').click()
    await expect(page.getByTestId('rules-tab-aliases')).toHaveAttribute('aria-selected', 'true')
    await expect(page.getByTestId('rules-row').first()).toBeVisible()
    // The default aliases, explained like `sendmail -bv`: www → webmaster → root.
    await page.getByTestId('preview-address').fill('www@localhost')
    await expect(page.getByTestId('preview-summary')).toContainText('via aliases line')
    await expect(page.getByTestId('preview-summary')).toContainText('(www → webmaster)')
    await page.screenshot({ path: 'test-results/rules-aliases.png', fullPage: true })

    await page.getByTestId('rules-tab-forward').click()
    await expect(page.getByTestId('rules-path')).toHaveText(forward)
    await expect(page.getByTestId('rules-new-file')).toBeVisible()

    // Before: mail for me goes to my mailbox directly.
    await page.getByTestId('preview-address').fill(`${me}@localhost`)
    await expect(page.getByTestId('preview-summary')).toContainText(`${me}'s mailbox`)
    await expect(page.getByTestId('preview-summary')).not.toContainText('copy.mbox')

    await page.getByTestId('rules-add-row').click()
    await page.getByTestId('rules-row-targets').fill(`\\${me}, ${copy}`)
    await expect(page.getByTestId('rules-target-chip')).toHaveCount(2)
    await expect(page.getByTestId('rules-target-chip').nth(0)).toHaveAttribute('data-kind', 'mailbox')
    await expect(page.getByTestId('rules-target-chip').nth(1)).toHaveAttribute('data-kind', 'file')

    // The preview follows the unsaved text.
    await expect(page.getByTestId('preview-draft')).toBeVisible()
    await expect(page.getByTestId('preview-summary')).toContainText(`the file ${copy}`)
    await expect(page.getByTestId('preview-summary')).toContainText(`${me}'s .forward line 1`)
    await expect(page.getByTestId('preview-result')).toHaveAttribute('data-deliverable', 'true')

    // A bad line is caught before saving, in the raw text too.
    await page.getByTestId('rules-mode-raw').click()
    await page.getByTestId('rules-raw-text').fill(`\\${me}, ${copy}\n|unquoted program\n`)
    await expect(page.locator('[data-testid="rules-raw-line"][data-error="true"]')).toHaveAttribute('data-line', '2')
    await page.getByTestId('rules-save').click()
    await expect(page.getByTestId('rules-save-error')).toContainText('line 2')
    await expect.poll(() => stat(forward).then(() => true, () => false)).toBe(false)
    await page.getByTestId('rules-raw-text').fill(`\\${me}, ${copy}\n`)
    await expect(page.getByTestId('rules-raw-ok')).toBeVisible()
    await page.getByTestId('rules-mode-form').click()
    await page.screenshot({ path: 'test-results/rules-forward-preview.png', fullPage: true })

    await page.getByTestId('rules-save').click()
    await expect(page.getByTestId('rules-saved')).toContainText(`Saved ${forward}`)
    await expect(page.getByTestId('preview-draft')).toHaveCount(0)
    await expect(page.getByTestId('preview-summary')).toContainText(`the file ${copy}`)
    expect(await readFile(forward, 'utf8')).toBe(`\\${me}, ${copy}\n`)
    await page.screenshot({ path: 'test-results/rules-forward-saved.png', fullPage: true })

    // A message composed in the UI to this user follows the rule: the mailbox and the file both get it.
    await page.getByTestId('compose-button').click()
    await page.getByTestId('compose-to').fill(`${me}@localhost`)
    await page.getByTestId('compose-subject').fill('Rules editor check')
    await page.getByTestId('compose-body').fill('This should land in the mailbox and in copy.mbox.')
    await page.getByTestId('compose-send').click()
    const item = page.getByTestId('outbox-item').filter({ hasText: 'Rules editor check' })
    await expect(item).toHaveAttribute('data-state', 'sent')

    const mbox = await waitFor('the copy in copy.mbox', async () => {
      const text = await readFile(copy, 'utf8')
      return text.includes('Subject: Rules editor check') ? text : null
    })
    expect(mbox).toMatch(/^From /)
    const maildir = join(home, 'mail', me, 'Maildir', 'new')
    const delivered = await waitFor('the message in the mailbox', async () => {
      for (const name of await readdir(maildir)) {
        const text = await readFile(join(maildir, name), 'utf8')
        if (text.includes('Subject: Rules editor check')) return text
      }
      return null
    })
    expect(delivered).toContain(`Delivered-To: ${me}@localhost`)
    expect(pageErrors).toEqual([])
  })

  test('out of office: the form turns the reply on through the .forward line, and the preview shows the program', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const forward = join(users, 'me', '.forward')
    const before = await readFile(forward, 'utf8').catch(() => '')
    await page.goto(serve.url)
    await page.getByTestId('nav-rules').click()
    await page.getByTestId('rules-tab-vacation').click()
    await expect(page.getByTestId('vacation-user')).toHaveValue(me)
    await expect(page.getByTestId('vacation-state')).toHaveAttribute('data-enabled', 'false')
    // The rule arrives after the user is set (load() sets both): filling before it lands would be overwritten.
    await expect(page.getByText('Loading…')).toHaveCount(0)

    await page.getByTestId('vacation-days').fill('0')
    await page.getByTestId('vacation-save-on').click()
    await expect(page.getByTestId('vacation-field-error')).toContainText('1 to 365')
    await page.getByTestId('vacation-days').fill('3')
    await page.getByTestId('vacation-subject').fill('Away: %s')
    await page.getByTestId('vacation-body').fill('I am away until Monday.')
    await page.getByTestId('vacation-save-on').click()
    await expect(page.getByTestId('vacation-state')).toHaveAttribute('data-enabled', 'true')
    await expect(page.getByTestId('vacation-saved')).toContainText(forward)
    expect(await readFile(forward, 'utf8')).toBe(`${before}\\${me}, "|mailroom vacation ${me}"\n`)

    await page.getByTestId('preview-address').fill(`${me}@localhost`)
    await expect(page.locator('[data-testid="preview-target"][data-kind="program"]')).toHaveAttribute('data-value', `mailroom vacation ${me}`)
    await page.getByTestId('vacation-show-sieve').click()
    await expect(page.getByTestId('vacation-sieve')).toContainText(':days 3')
    await page.screenshot({ path: 'test-results/rules-out-of-office.png', fullPage: true })

    await page.getByTestId('vacation-save-off').click()
    await expect(page.getByTestId('vacation-state')).toHaveAttribute('data-enabled', 'false')
    expect(await readFile(forward, 'utf8')).toBe(before)
    expect(pageErrors).toEqual([])
  })
})
