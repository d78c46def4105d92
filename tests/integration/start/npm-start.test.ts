// `npm start` on a machine without the Electron binary: one clear line, then browser mode with its URL.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeHome, removeHome, requireBuild, ROOT } from '../../support/mailroom'

const electronInstalled = existsSync(join(ROOT, 'node_modules', 'electron', 'path.txt'))

describe('npm start without the Electron binary', () => {
  let home = ''
  afterAll(() => (home === '' ? undefined : removeHome(home)))

  it.runIf(!electronInstalled)('explains the fallback in one line and serves browser mode on 127.0.0.1', async () => {
    requireBuild()
    home = await makeHome()
    const child = spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], {
      env: { ...process.env, MAILROOM_HOME: home, MAILROOM_SKIP_BUILD: '1', DISPLAY: '', WAYLAND_DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 30 s; stderr: ${stderr}`)), 30_000)
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString()
        const match = /http:\/\/127\.0\.0\.1:\d+\/#token=\S+/.exec(stdout)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match[0])
        }
      })
    })
    try {
      expect(stderr).toMatch(/the Electron binary is not installed on this machine .* starts in browser mode/)
      const page = await fetch(new URL('/', url))
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<div id="app">')
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  })
})
