// File helpers for the test harness: per-server temp dirs, log tails, self-signed certificates.
import { chmod, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { processesUnder, runOk, signal, waitForExit } from './proc'

/** Prefix of every harness temp dir, so leftovers of a killed run can be found (see cleanup.ts). */
export const TEMP_PREFIX = 'mailroom-test-'

/** Name of the marker file in each temp dir: which test process owns it and where its pids are. */
export const OWNER_FILE = 'harness-owner.json'

export interface OwnerRecord {
  /** pid of the test process that started the server */
  owner: number
  /** pid files relative to the temp dir, read when the leftovers of a dead owner are reaped */
  pidFiles: string[]
}

/**
 * A fresh temp dir os.tmpdir()/mailroom-test-KIND-XXXXXX, mode 755 (Postfix and Dovecot
 * refuse or fail to lock otherwise), with its owner record written.
 */
export async function makeServerDir(kind: string, pidFiles: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${TEMP_PREFIX}${kind}-`))
  await chmod(dir, 0o755)
  const record: OwnerRecord = { owner: process.pid, pidFiles }
  await writeFile(join(dir, OWNER_FILE), JSON.stringify(record))
  return dir
}

/**
 * SIGKILL whatever still runs inside a server's temp dir, then remove the dir (unless
 * MAILROOM_KEEP_TEST_DIRS=1 asks to keep it for a post-mortem).
 */
export async function removeServerDir(dir: string): Promise<void> {
  const stragglers = processesUnder(dir)
  for (const pid of stragglers) signal(pid, 'SIGKILL')
  for (const pid of stragglers) await waitForExit(pid, 5000)
  if (process.env.MAILROOM_KEEP_TEST_DIRS === '1') {
    process.stderr.write(`[test-servers] keeping ${dir} (MAILROOM_KEEP_TEST_DIRS=1)\n`)
    return
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 })
}

/** Last `lines` lines of a text file, or a note that it does not exist (yet). */
export async function tailFile(path: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(path, 'utf8')
    return text.trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return `(${path} does not exist)`
  }
}

/** Labelled log tail for error messages: "--- last lines of PATH ---\n…". */
export async function logTail(path: string, lines = 40): Promise<string> {
  return `--- last lines of ${path} ---\n${await tailFile(path, lines)}`
}

const certCache = new Map<string, Promise<{ cert: string; key: string }>>()

/**
 * Write a self-signed RSA certificate for `cn` (openssl). RSA key generation takes 0.1–0.7 s, so each
 * CN is generated once per test process and copied afterwards.
 */
export async function selfSignedCert(certPath: string, keyPath: string, cn: string): Promise<{ cert: string; key: string }> {
  let pems = certCache.get(cn)
  if (!pems) {
    pems = generateCert(cn)
    certCache.set(cn, pems)
    pems.catch(() => certCache.delete(cn))
  }
  const { cert, key } = await pems
  await writeFile(certPath, cert, { mode: 0o644 })
  await writeFile(keyPath, key, { mode: 0o600 })
  return { cert: certPath, key: keyPath }
}

async function generateCert(cn: string): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-certgen-'))
  try {
    await runOk('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`,
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
    return { cert: await readFile(join(dir, 'cert.pem'), 'utf8'), key: await readFile(join(dir, 'key.pem'), 'utf8') }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Date files a minute back: Postfix delays its start when config files look newer than "now". */
export async function backdate(paths: string[], seconds = 60): Promise<void> {
  const when = new Date(Date.now() - seconds * 1000)
  await Promise.all(paths.map((p) => utimes(p, when, when)))
}
