// The HTML mail sanitiser: hostile markup loses every script, loader and working link; remote images wait for consent.
import './dom-shim'
import { describe, expect, it } from 'vitest'
import { mailFrameCsp, mailSrcdoc, sanitizeMailHtml } from '../../../src/renderer/src/util/sanitize'

const blocked = { allowRemote: false }

/** Parses the sanitised HTML so assertions look at elements and attributes, not at substrings. */
function dom(html: string): HTMLElement {
  const box = document.createElement('div')
  box.innerHTML = html
  return box
}

function allAttributes(root: HTMLElement): string[] {
  return [...root.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => `${a.name}=${a.value}`))
}

describe('sanitizeMailHtml', () => {
  it('removes scripts, event handlers and javascript: URLs in every disguise', () => {
    const hostile = [
      '<script>parent.document.title="pwned"</script>',
      '<img src=x onerror="parent.document.title=1">',
      '<a href="javascript:alert(1)">a</a>',
      '<a href="&#106;avascript:alert(1)">b</a>',
      '<a href="java&#x09;script:alert(1)">c</a>',
      '<a href="\u0000javascript:alert(1)">d</a>',
      '<a href="JaVaScRiPt:alert(1)">e</a>',
      '<svg><script>alert(1)</script></svg>',
      '<math><mtext><script>alert(1)</script></mtext></math>',
      '<div onclick="x()" onmouseover="y()">hover</div>',
      '<body onload="z()">'
    ].join('')
    const { html, links } = sanitizeMailHtml(hostile, blocked)
    const root = dom(html)
    expect(root.querySelector('script, svg, math')).toBeNull()
    expect(allAttributes(root).filter((a) => /^on/i.test(a) || /javascript/i.test(a))).toEqual([])
    expect(links).toEqual([])
  })

  it('drops everything that loads, submits, embeds or navigates', () => {
    const hostile = [
      '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
      '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/">',
      '<base href="http://127.0.0.1:9/">',
      '<object data="http://127.0.0.1:9/o"></object><embed src="http://127.0.0.1:9/e">',
      '<iframe src="http://127.0.0.1:9/f"></iframe><iframe srcdoc="<script>x</script>"></iframe>',
      '<form action="http://127.0.0.1:9/post"><input name=a><button>Go</button></form>',
      '<video poster="http://127.0.0.1:9/p"></video><audio src="http://127.0.0.1:9/a"></audio>',
      '<a href="data:text/html,<script>alert(1)</script>">data</a>',
      '<img src="data:image/svg+xml,<svg onload=alert(1)>">'
    ].join('')
    const root = dom(sanitizeMailHtml(hostile, blocked).html)
    expect(root.querySelector('link, meta, base, object, embed, iframe, form, input, button, video, audio')).toBeNull()
    expect(allAttributes(root).filter((a) => /127\.0\.0\.1|data:text|svg/.test(a))).toEqual([])
  })

  it('holds back remote images, srcset, background attributes and CSS url()/@import, and counts them', () => {
    const remote = [
      '<img src="http://127.0.0.1:9/pixel.gif">',
      '<img srcset="https://127.0.0.1:9/a.png 1x, //127.0.0.1:9/b.png 2x">',
      '<table background="http://127.0.0.1:9/bg.png"><tr><td>t</td></tr></table>',
      '<div style="background:url(\'http://127.0.0.1:9/css.png\')">s</div>',
      '<style>@import url("http://127.0.0.1:9/i.css"); p { background-image: url(http://127.0.0.1:9/p.png); behavior: url(x.htc); -moz-binding: url(x); width: expression(alert(1)) }</style><p>p</p>'
    ].join('')
    const clean = sanitizeMailHtml(remote, blocked)
    expect(clean.html).not.toMatch(/127\.0\.0\.1/)
    expect(clean.html).not.toMatch(/@import|expression\(|-moz-binding|behavior/i)
    expect(clean.blockedRemote).toBe(5)

    const allowed = sanitizeMailHtml(remote, { allowRemote: true })
    expect(allowed.blockedRemote).toBe(0)
    const root = dom(allowed.html)
    expect(root.querySelector('img')?.getAttribute('src')).toBe('http://127.0.0.1:9/pixel.gif')
    expect(root.querySelector('div')?.getAttribute('style')).toBe("background:url('http://127.0.0.1:9/css.png')")
    // Even allowed, nothing scripts or imports.
    expect(allowed.html).not.toMatch(/@import|expression\(|-moz-binding/i)
  })

  it('shows cid: images from the inline parts and drops unknown ones', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo='
    const clean = sanitizeMailHtml('<img src="cid:logo@x"><img src="cid:missing@x">', { allowRemote: false, inlineImages: { 'logo@x': png } })
    const images = [...dom(clean.html).querySelectorAll('img')]
    expect(images.map((img) => img.getAttribute('src'))).toEqual([png, null])
    expect(clean.blockedRemote).toBe(0)
  })

  it('lifts links out: numbered, without href in the frame, http(s) and mailto only', () => {
    const clean = sanitizeMailHtml(
      '<a href="https://example.org/a" target="_top" ping="http://t/">Example</a> <a href="mailto:bob@example.org?subject=Hi">Bob</a> <a href="ftp://x/">ftp</a> <area href="http://127.0.0.1:9/map">',
      blocked
    )
    expect(clean.links).toEqual([
      { index: 1, text: 'Example', href: 'https://example.org/a', kind: 'web' },
      { index: 2, text: 'Bob', href: 'mailto:bob@example.org?subject=Hi', kind: 'mailto' },
      { index: 3, text: '', href: 'http://127.0.0.1:9/map', kind: 'web' }
    ])
    const root = dom(clean.html)
    expect(root.querySelector('[href], [target], [ping]')).toBeNull()
    expect(root.querySelector('a')?.dataset.mrLink).toBe('1')
  })

  it('keeps ordinary formatting', () => {
    const clean = sanitizeMailHtml('<p style="color:red"><b>Bold</b> <i>it</i></p><table><tr><td>cell</td></tr></table><blockquote>q</blockquote>', blocked)
    const root = dom(clean.html)
    expect(root.querySelector('p')?.getAttribute('style')).toBe('color:red')
    expect(root.querySelector('b')?.textContent).toBe('Bold')
    expect(root.querySelector('td')?.textContent).toBe('cell')
  })
})

describe('the frame document', () => {
  it('opens with a CSP that blocks everything but inline styles and data: images', () => {
    expect(mailFrameCsp(false)).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; base-uri 'none'")
    expect(mailFrameCsp(true)).toContain('img-src data: https: http:')
    const doc = mailSrcdoc('<p>x</p>', false)
    expect(doc.indexOf('Content-Security-Policy')).toBeLessThan(doc.indexOf('<body>'))
    expect(doc).toContain(`content="${mailFrameCsp(false)}"`)
  })
})
