// npm start: builds, then runs the Electron app when its binary exists, otherwise browser mode (mailroom serve --open).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')

function electronBinary() {
  // Never require('electron') here: it tries to download the binary when it is missing.
  const pkg = join(root, 'node_modules', 'electron')
  const pathFile = join(pkg, 'path.txt')
  if (!existsSync(pathFile)) return null
  const binary = join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim())
  return existsSync(binary) ? binary : null
}

// MAILROOM_SKIP_BUILD=1 reuses out/ as it is (tests, and repeated starts).
if (process.env.MAILROOM_SKIP_BUILD !== '1' && spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) {
  console.error('mailroom: the build failed; see the errors above')
  process.exit(1)
}

const binary = electronBinary()
const [command, args] = binary !== null
  ? [binary, [root]]
  : [process.execPath, [join(root, 'bin', 'mailroom'), 'serve', '--open']]
if (binary === null) {
  console.error('mailroom: the Electron binary is not installed on this machine (its download is blocked or was skipped), so Mailroom starts in browser mode: open the URL below (127.0.0.1 only; it carries the access token).')
}
const child = spawn(command, args, { cwd: root, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
