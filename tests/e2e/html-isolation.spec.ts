// End to end in Debian's Chromium: hostile HTML mail in the Local account makes no request and runs no script; once the
// user loads remote content, the image request does arrive (the counter is shown to work).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { makeHome, removeHome, requireBuild, startServe, type ServeProcess } from '../support/mailroom'
import { playwrightRequirement } from '../support/requirements'

const requirement = playwrightRequirement(['chromium'], 'e2e HTML isolation')

/** Each payload tries to reach the counter (`${C}` is its origin) and to change the app's title from inside the frame. */
const PAYLOADS: Record<string, string> = {
  'script-tag': '<script>parent.document.title="pwned";fetch("${C}/script-tag")</script><p>script tag</p>',
  'on-handlers': '<img src="x" onerror="parent.document.title=\'pwned\';fetch(\'${C}/onerror\')"><body onload="fetch(\'${C}/onload\')"><div onmouseover="fetch(\'${C}/hover\')">hover me</div>',
  'javascript-url': '<a href="javascript:fetch(\'${C}/js-url\')">click</a><iframe src="javascript:fetch(\'${C}/js-iframe\')"></iframe>',
  'unicode-javascript': '<a href="&#106;&#97;vascript:fetch(\'${C}/uni1\')">a</a><a href="java&#x09;script:fetch(\'${C}/uni2\')">b</a><a href="&#x6A;avascript&colon;fetch(\'${C}/uni3\')">c</a><img src="\u0001javascript:fetch(\'${C}/uni4\')">',
  'remote-img': '<img src="${C}/img-plain"><img src="//127.0.0.1:${P}/img-protocol-relative">',
  'srcset': '<img srcset="${C}/srcset-1x 1x, ${C}/srcset-2x 2x"><picture><source srcset="${C}/picture-source"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></picture>',
  'css-url': '<div style="background-image:url(${C}/css-inline)">bg</div><style>p{background:url("${C}/css-style")}</style><p>styled</p>',
  'css-import': '<style>@import url("${C}/css-import");@import "${C}/css-import2";</style><p>import</p>',
  'link-stylesheet': '<link rel="stylesheet" href="${C}/link-css"><link rel="prefetch" href="${C}/prefetch"><link rel="dns-prefetch" href="${C}/dns"><p>links</p>',
  'meta-refresh': '<meta http-equiv="refresh" content="0;url=${C}/meta-refresh"><p>refresh</p>',
  'base': '<base href="${C}/base/"><img src="relative.png"><a href="relative">rel</a>',
  'object-embed-iframe': '<object data="${C}/object"></object><embed src="${C}/embed"><iframe src="${C}/iframe"></iframe><frameset><frame src="${C}/frame"></frameset>',
  'svg-script': '<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'${C}/svg-onload\')"><script>fetch("${C}/svg-script")</script><image href="${C}/svg-image"/><foreignObject><img src="${C}/svg-fo"></foreignObject></svg>',
  'background-attr': '<table background="${C}/table-bg"><tr><td background="${C}/td-bg">cell</td></tr></table><body background="${C}/body-bg">',
  'form-action': '<form action="${C}/form" method="post"><input name="a" value="b" autofocus onfocus="fetch(\'${C}/onfocus\')"><button formaction="${C}/formaction">Send</button></form>',
  'data-html': '<a href="data:text/html,<script>fetch(\'${C}/data-a\')</script>">d</a><iframe src="data:text/html,<script>fetch(\'${C}/data-iframe\')</script>"></iframe><object data="data:text/html,<script>fetch(\'${C}/data-object\')</script>"></object>',
  'css-expression': '<div style="width:expression(fetch(\'${C}/expression\'))">expr</div><div style="-moz-binding:url(${C}/moz-binding#x)">moz</div><div style="behavior:url(${C}/behavior.htc)">ie</div>',
  'media-and-fonts': '<video src="${C}/video" poster="${C}/poster"></video><audio src="${C}/audio"></audio><style>@font-face{font-family:x;src:url(${C}/font.woff)}p{font-family:x}</style><p>font</p>',
  'srcdoc-and-portal': '<iframe srcdoc="<img src=${C}/srcdoc-img><script>fetch(\'${C}/srcdoc-script\')</script>"></iframe><portal src="${C}/portal"></portal>'
}

/** The positive control: an ordinary newsletter image, loaded only after "Load remote content". */
const CONTROL = '<p>Our newsletter</p><img src="${C}/newsletter-image.gif" alt="banner">'

function rawMessage(name: string, html: string, origin: string, port: number): string {
  const body = html.replaceAll('${C}', origin).replaceAll('${P}', String(port))
  return [
    'From: Mallory <mallory@evil.test>',
    'To: root@localhost',
    `Subject: Hostile ${name}`,
    `Message-ID: <${name}@evil.test>`,
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    `<html><head><title>x</title></head><body>${body}</body></html>`,
    ''
  ].join('\r\n')
}

test.describe('hostile HTML in the reader', () => {
  test.skip(requirement.skip, requirement.reason)

  let home: string
  let serve: ServeProcess
  let counter: Server
  let origin: string
  const hits: string[] = []

  test.beforeAll(async () => {
    requireBuild()
    counter = createServer((request, response) => {
      hits.push(request.url ?? '')
      response.writeHead(200, { 'content-type': 'image/gif', 'access-control-allow-origin': '*' })
      response.end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'))
    })
    await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve))
    const port = (counter.address() as AddressInfo).port
    origin = `http://127.0.0.1:${port}`

    home = await makeHome()
    const inbox = join(home, 'mail', userInfo().username.toLowerCase(), 'Maildir')
    for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(inbox, sub), { recursive: true })
    let n = 0
    for (const [name, html] of Object.entries({ ...PAYLOADS, control: CONTROL })) {
      n += 1
      await writeFile(join(inbox, 'new', `1764061200.M${n}P1.mailroom.test`), rawMessage(name, html, origin, port))
    }
    serve = await startServe(home)
  })

  test.afterAll(async () => {
    await serve?.stop()
    await new Promise((resolve) => counter?.close(resolve))
    if (home !== undefined) await removeHome(home)
  })

  async function open(page: Page, name: string): Promise<void> {
    await page.getByTestId('message-row').filter({ hasText: `Hostile ${name}` }).click()
    await expect(page.getByTestId('reader-subject')).toHaveText(`Hostile ${name}`)
    await expect(page.getByTestId('reader-html')).toBeAttached()
  }

  test('no payload makes a request or runs a script; "Load remote content" does load the image', async ({ page }) => {
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(serve.url)
    await page.getByTestId('nav-inbox-local').click()
    // mail.folders and mail.list arrive at once: the Local index serialises them (no error, no second try).
    await expect(page.getByTestId('message-row')).toHaveCount(Object.keys(PAYLOADS).length + 1)
    await expect(page.getByTestId('list-error')).toHaveCount(0)

    for (const name of Object.keys(PAYLOADS)) {
      await open(page, name)
      const frame = page.getByTestId('reader-html')
      await expect(frame).toHaveAttribute('sandbox', '')
      // Give the frame time to (try to) load and run anything, then hover and click inside it like a reader would.
      await page.waitForTimeout(300)
      const box = await frame.boundingBox()
      if (box !== null) {
        await page.mouse.move(box.x + 40, box.y + 30)
        await page.mouse.click(box.x + 40, box.y + 30)
      }
      await page.waitForTimeout(200)
      expect(hits, `payload ${name} reached the network`).toEqual([])
      await expect(page).toHaveTitle('Mailroom')
    }
    await page.screenshot({ path: 'test-results/html-isolation-blocked.png', fullPage: true })

    // The control: blocked first, then one click and the counter sees the image.
    await open(page, 'control')
    await expect(page.getByTestId('reader-html')).toHaveAttribute('data-remote', 'blocked')
    await expect(page.getByTestId('remote-content-banner')).toBeVisible()
    await page.waitForTimeout(300)
    expect(hits).toEqual([])
    await page.getByTestId('remote-load-once').click()
    await expect(page.getByTestId('reader-html')).toHaveAttribute('data-remote', 'allowed')
    await expect
      .poll(() => hits.length, { message: 'the image never arrived: the srcdoc frame inherits the app CSP, whose img-src must allow http: https: (index.html meta and RENDERER_CSP header)' })
      .toBeGreaterThan(0)
    expect(new Set(hits)).toEqual(new Set(['/newsletter-image.gif']))
    await page.screenshot({ path: 'test-results/html-isolation-remote-loaded.png', fullPage: true })

    // Every hostile message once more with remote content allowed for the sender: still no script, no navigation, no form.
    await open(page, 'remote-img')
    await expect(page.getByTestId('reader-html')).toHaveAttribute('data-remote', 'blocked')
    await page.getByTestId('remote-allow-sender').click()
    await expect(page.getByTestId('reader-html')).toHaveAttribute('data-remote', 'allowed')
    for (const name of ['script-tag', 'on-handlers', 'javascript-url', 'svg-script', 'form-action', 'data-html', 'meta-refresh', 'css-import', 'link-stylesheet']) {
      await open(page, name)
      await page.waitForTimeout(200)
    }
    await page.waitForTimeout(500)
    const unexpected = hits.filter((h) => !/^\/(img-|srcset-|css-inline|css-style|table-bg|td-bg|newsletter-image)/.test(h))
    expect(unexpected).toEqual([])
    await expect(page).toHaveTitle('Mailroom')
    expect(pageErrors).toEqual([])
  })
})
