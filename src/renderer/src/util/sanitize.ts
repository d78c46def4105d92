// HTML mail made safe to show: DOMPurify with a mail profile, remote loads held back, links lifted out, and the srcdoc with its CSP.
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify'

/**
 * The iframe's sandbox: no scripts, an opaque origin (no allow-same-origin), no forms, no popups, no top navigation.
 * Links never work inside the frame (their hrefs are removed); the parent shows them in a list it handles itself.
 */
export const MAIL_FRAME_SANDBOX = ''

/** A link found in the mail, shown below it by the parent (http(s) opens in a new tab, mailto: in the composer). */
export interface MailLink {
  /** 1-based, the number shown after the link text in the frame. */
  index: number
  text: string
  href: string
  kind: 'web' | 'mailto'
}

export interface SanitizeOptions {
  /** Load remote images (this message once, or the sender is allowed). */
  allowRemote: boolean
  /** cid → data: URL of inline images. */
  inlineImages?: Record<string, string>
}

export interface SanitizedMail {
  html: string
  links: MailLink[]
  /** Remote references held back (images, backgrounds, CSS url()); 0 when allowed or when there were none. */
  blockedRemote: number
}

/** The frame's own policy: nothing but inline styles and data: images, plus http(s) images once remote content is allowed. */
export function mailFrameCsp(allowRemote: boolean): string {
  const images = allowRemote ? "data: https: http:" : 'data:'
  return `default-src 'none'; style-src 'unsafe-inline'; img-src ${images}; font-src data:; form-action 'none'; base-uri 'none'`
}

const REMOTE_URL = /^\s*(?:https?:)?\/\//i
const CID_URL = /^\s*cid:/i
const DATA_IMAGE = /^\s*data:image\/(?:png|gif|jpe?g|webp|bmp);/i
/** url(...) in CSS, quoted or not. */
const CSS_URL = /url\(\s*(['"]?)(.*?)\1\s*\)/gi
/** Old script hooks in CSS (IE expression(), Firefox XBL bindings, IE behaviors): never useful in mail. */
const CSS_SCRIPT = /expression\s*\(|-moz-binding|behavior\s*:|javascript:/gi

/** Tags that can load, submit, navigate or embed; DOMPurify's html profile drops most of them, this list makes sure. */
const FORBID_TAGS = ['form', 'input', 'button', 'textarea', 'select', 'option', 'base', 'link', 'meta', 'object', 'embed', 'iframe', 'frame', 'frameset', 'applet', 'portal', 'audio', 'video', 'source', 'track', 'script', 'noscript', 'template']
const FORBID_ATTR = ['action', 'formaction', 'target', 'ping', 'srcdoc', 'poster', 'xlink:href', 'http-equiv', 'autofocus', 'content', 'data', 'codebase', 'dynsrc', 'lowsrc']
const FORBIDDEN = new Set([...FORBID_TAGS, 'svg', 'math', 'image', 'use', 'foreignobject', 'param', 'isindex', 'keygen', 'frame'])

interface RunState {
  options: SanitizeOptions
  links: MailLink[]
  blocked: number
}

function resolveCid(url: string, inline: Record<string, string> | undefined): string | null {
  const id = decodeURIComponent(url.trim().slice(4)).replace(/^<|>$/g, '')
  const data = inline?.[id]
  return data !== undefined && DATA_IMAGE.test(data) ? data : null
}

/** An image-like URL as it may stay: data: images, cid: resolved to data:, remote only when allowed; anything else dropped. */
function imageUrl(url: string, state: RunState): string | null {
  if (CID_URL.test(url)) return resolveCid(url, state.options.inlineImages)
  if (DATA_IMAGE.test(url)) return url
  if (REMOTE_URL.test(url)) {
    if (state.options.allowRemote && /^\s*https?:/i.test(url)) return url.trim()
    state.blocked += 1
    return null
  }
  return null
}

/** CSS text with script hooks and @import removed and every url() passed through imageUrl (or emptied). */
function cleanCss(css: string, state: RunState): string {
  return css
    .replace(/@import[^;]*;?/gi, '')
    .replace(CSS_SCRIPT, 'invalid:')
    .replace(CSS_URL, (_match, _quote: string, url: string) => {
      const kept = imageUrl(url, state)
      return kept === null ? 'none' : `url('${kept.replace(/['"\\\n\r()]/g, '')}')`
    })
}

function linkKind(href: string): MailLink['kind'] | null {
  if (/^\s*https?:\/\//i.test(href)) return 'web'
  if (/^\s*mailto:/i.test(href)) return 'mailto'
  return null
}

/** Every URL-valued attribute kept by DOMPurify's html profile, handled one by one below; these never stay. */
const SCRIPTY_VALUE = /^(?:javascript|vbscript|livescript|data:text|data:application)/i

/** Our own pass over the sanitised tree, on a static list of elements (so removals never skip a node). */
function enforce(root: ParentNode, state: RunState): void {
  for (const element of [...root.querySelectorAll('*')]) {
    const tag = element.localName.toLowerCase()
    if (FORBIDDEN.has(tag)) {
      element.remove()
      continue
    }
    if (tag === 'style') {
      element.textContent = cleanCss(element.textContent ?? '', state)
      continue
    }
    for (const attribute of [...element.attributes]) {
      const name = attribute.name.toLowerCase()
      // eslint-disable-next-line no-control-regex
      const squeezed = attribute.value.replace(/[\u0000-\u0020\u007f-\u00a0\u1680\u180e\u2000-\u2029\u205f\u3000\ufeff]/g, '')
      if (name.startsWith('on') || FORBID_ATTR.includes(name) || SCRIPTY_VALUE.test(squeezed)) element.removeAttribute(attribute.name)
    }
    for (const name of ['src', 'background']) {
      const value = element.getAttribute(name)
      if (value === null) continue
      const kept = imageUrl(value, state)
      if (kept === null) element.removeAttribute(name)
      else element.setAttribute(name, kept)
    }
    const srcset = element.getAttribute('srcset')
    if (srcset !== null) {
      const candidates = srcset.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '')
      if (candidates.some((c) => REMOTE_URL.test(c)) && !state.options.allowRemote) state.blocked += 1
      if (!state.options.allowRemote || candidates.some((c) => !/^https?:/i.test(c))) element.removeAttribute('srcset')
    }
    const style = element.getAttribute('style')
    if (style !== null) element.setAttribute('style', cleanCss(style, state))
    if (element.hasAttribute('href')) {
      const href = (element.getAttribute('href') ?? '').trim()
      element.removeAttribute('href')
      const kind = linkKind(href)
      if (kind !== null && (tag === 'a' || tag === 'area')) {
        const index = state.links.length + 1
        state.links.push({ index, text: (element.textContent ?? '').replace(/\s+/g, ' ').trim(), href, kind })
        element.setAttribute('data-mr-link', String(index))
        element.setAttribute('title', href)
      }
    }
  }
}

let purifier: Purifier | null = null

function getPurifier(): Purifier {
  purifier ??= DOMPurify(window)
  return purifier
}

/**
 * Sanitises mail HTML: DOMPurify (html profile: no script, SVG or MathML) and then our own pass: no forms, embeds or
 * loaders, no working links (listed instead), cid: images resolved, remote loads only when allowed.
 */
export function sanitizeMailHtml(html: string, options: SanitizeOptions): SanitizedMail {
  const state: RunState = { options, links: [], blocked: 0 }
  const fragment = getPurifier().sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS,
    FORBID_ATTR,
    ADD_TAGS: ['style'],
    ALLOW_UNKNOWN_PROTOCOLS: false,
    WHOLE_DOCUMENT: false,
    FORCE_BODY: true,
    RETURN_DOM_FRAGMENT: true
  })
  enforce(fragment, state)
  const box = document.createElement('div')
  box.append(fragment)
  return { html: box.innerHTML, links: state.links, blockedRemote: state.blocked }
}

/** Base look of the frame: readable defaults; links look like links but are not (their targets are listed below). */
const FRAME_STYLE =
  'html{color-scheme:light}body{margin:0;padding:12px 16px;font:15px/1.45 system-ui,sans-serif;color:#1c1e21;background:#fff;overflow-wrap:anywhere}' +
  'img{max-width:100%;height:auto}a[data-mr-link]{color:#2f64d6;text-decoration:underline;cursor:default}' +
  'a[data-mr-link]::after{content:" [" attr(data-mr-link) "]";font-size:0.75em;vertical-align:super;color:#6b7280}' +
  'pre{white-space:pre-wrap}blockquote{margin:0 0 0 0.5em;padding-left:0.75em;border-left:3px solid #c9cdd4;color:#4b5160}'

/** The whole document for the iframe's srcdoc: our CSP first, then the base style, then the sanitised body. */
export function mailSrcdoc(sanitizedHtml: string, allowRemote: boolean): string {
  return (
    '<!doctype html><html><head>' +
    `<meta http-equiv="Content-Security-Policy" content="${mailFrameCsp(allowRemote)}">` +
    '<meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    `<style>${FRAME_STYLE}</style></head><body>${sanitizedHtml}</body></html>`
  )
}
