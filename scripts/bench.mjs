// npm run bench [name]: bundles each bench/*.ts with Vite (SSR build, deps external) into .tmp/bench and runs it with this
// Node. The CLI measurements need the built app: it is built first when out/main/cli.js is missing.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'vite'

const root = join(import.meta.dirname, '..')
const only = process.argv[2]
const benches = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && (only === undefined || f.startsWith(only)))
const outDir = join(root, '.tmp', 'bench')
if (!existsSync(join(root, 'out', 'main', 'cli.js'))) {
  console.log('out/main/cli.js is missing: building the app first (npx electron-vite build)')
  const built = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' })
  if (built.status !== 0) process.exit(built.status ?? 1)
}
// electron-vite's `./worker?nodeWorker` import (the parser's worker pool) is not known to a plain Vite build: point it
// at the worker electron-vite built into out/main/chunks.
const nodeWorkerFromBuild = {
  name: 'mailroom-node-worker-from-build',
  enforce: 'pre',
  resolveId: (source) => (source.endsWith('?nodeWorker') ? '\0mailroom-node-worker' : null),
  load(id) {
    if (id !== '\0mailroom-node-worker') return null
    const chunks = join(root, 'out', 'main', 'chunks')
    const worker = readdirSync(chunks).find((f) => /^worker-[\w-]+\.js$/.test(f))
    if (worker === undefined) throw new Error(`no built parse worker in ${chunks}: run npx electron-vite build`)
    return `import { Worker } from 'node:worker_threads'\nexport default (options) => new Worker(${JSON.stringify(join(chunks, worker))}, options)\n`
  }
}
await build({
  root,
  logLevel: 'warn',
  configFile: false,
  plugins: [nodeWorkerFromBuild],
  build: {
    ssr: true,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { input: Object.fromEntries(benches.map((f) => [f.replace(/\.ts$/, ''), join(root, 'bench', f)])), output: { format: 'es', entryFileNames: '[name].mjs' } }
  }
})
let failed = 0
for (const file of benches) {
  console.log(`\n=== bench/${file} ===`)
  const status = spawnSync(process.execPath, [join(outDir, file.replace(/\.ts$/, '.mjs'))], { cwd: root, stdio: 'inherit' }).status
  if (status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
