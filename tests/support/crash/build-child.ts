// Bundles a small TypeScript child program (and the src/ modules it imports) with Vite into .tmp/, so a test can run it with plain Node.
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'vite'
import { ROOT } from '../mailroom'

export interface BuiltChild {
  /** The bundled entry, run with `node <file> …`. */
  file: string
  remove(): Promise<void>
}

/**
 * SSR build with dependencies left external: the output lives under the project (.tmp/) so that bare imports
 * (nodemailer, zod, …) resolve from node_modules. One directory per calling process, removed by remove().
 */
export async function buildChild(entry: string, name: string): Promise<BuiltChild> {
  const outDir = join(ROOT, '.tmp', `${name}-${process.pid}`)
  await mkdir(outDir, { recursive: true })
  await build({
    root: ROOT,
    logLevel: 'warn',
    configFile: false,
    define: { __MAILROOM_VERSION__: JSON.stringify('0.0.0-test') },
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      rollupOptions: { input: { [name]: entry }, output: { format: 'es', entryFileNames: '[name].mjs' } }
    }
  })
  return { file: join(outDir, `${name}.mjs`), remove: () => rm(outDir, { recursive: true, force: true }) }
}
