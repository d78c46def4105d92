// Runs the built CLI for the rules tests with its own MAILROOM_HOME and HOME, so the real ~/.forward of whoever runs the tests never counts.
import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN, type CliResult } from '../../support/mailroom'

export interface RulesHome {
  /** MAILROOM_HOME. */
  home: string
  /** $HOME of the OS user for the run (its .forward is <osHome>/.forward). */
  osHome: string
  /** Homes of the configured users bob and carol. */
  userHome(name: string): string
  remove(): Promise<void>
}

/** A fresh MAILROOM_HOME with local users bob and carol (homes under a temp dir, mode 0755), and a separate $HOME for the OS user. */
export async function makeRulesHome(extraConfig: Record<string, unknown> = {}): Promise<RulesHome> {
  const base = await mkdtemp(join(tmpdir(), 'mailroom-rules-'))
  await chmod(base, 0o755)
  const home = join(base, 'mailroom')
  const osHome = join(base, 'os-home')
  const userHome = (name: string): string => join(base, 'homes', name)
  for (const dir of [home, osHome, userHome('bob'), userHome('carol')]) {
    await mkdir(dir, { recursive: true })
    await chmod(dir, 0o755)
  }
  await chmod(join(base, 'homes'), 0o755)
  const uid = process.getuid?.() ?? 0
  const config = {
    hostname: 'mailroom.test',
    local: { users: [{ name: 'bob', home: userHome('bob'), uid }, { name: 'carol', home: userHome('carol'), uid }] },
    ...extraConfig
  }
  await writeFile(join(home, 'config.json'), JSON.stringify(config, null, 2))
  return { home, osHome, userHome, remove: () => rm(base, { recursive: true, force: true }) }
}

export function runRulesCli(rules: RulesHome, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MAILROOM_HOME: rules.home, HOME: rules.osHome }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
