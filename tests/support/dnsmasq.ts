// Starts a throwaway dnsmasq answering only from a given zone (no upstream), so tests control MX lookups.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { reapOrphans, track, untrack } from './cleanup'
import { logTail, makeServerDir, removeServerDir } from './files'
import { freeTcpUdpPort, isListening, isPortFree, waitForPortFree } from './ports'
import { pollUntil, requireExecutable, signal, terminate } from './proc'

const HOST = '127.0.0.1'

export interface DnsOptions {
  /** dnsmasq conf lines, e.g. 'mx-host=remote.test,mx.remote.test,10', 'host-record=mx.remote.test,127.0.0.2' */
  records: string[]
  /** default: a port free for both UDP and TCP on 127.0.0.1 */
  port?: number
  /** how long to wait for the listeners, default 10 s */
  startTimeoutMs?: number
}

export interface DnsInstance {
  readonly port: number
  /** '127.0.0.1:PORT', for dns.Resolver#setServers and Mailroom's resolver config */
  readonly server: string
  readonly dir: string
  /** dnsmasq's log, including every query */
  log(): Promise<string>
  /** SIGTERM, wait until the port is free, remove DIR. Idempotent. */
  stop(): Promise<void>
}

/**
 * The standard test zone: remote.test (MX -> mxAddress), backup.test (pref 5 MX down at 127.0.0.9,
 * pref 20 MX at mxAddress), amx.test (A record only: implicit MX), nullmx.test (null MX, RFC 7505),
 * relay.test (A 127.0.0.3, the smart host).
 */
export function standardZone(mxAddress = '127.0.0.2'): string[] {
  return [
    'mx-host=remote.test,mx.remote.test,10',
    `host-record=mx.remote.test,${mxAddress}`,
    'mx-host=backup.test,down.backup.test,5',
    'mx-host=backup.test,mx2.backup.test,20',
    'host-record=down.backup.test,127.0.0.9',
    `host-record=mx2.backup.test,${mxAddress}`,
    `host-record=amx.test,${mxAddress}`,
    'mx-host=nullmx.test,.,0',
    'host-record=relay.test,127.0.0.3'
  ]
}

/** Start dnsmasq on 127.0.0.1:PORT (UDP and TCP). `local=/test/` is always added: unknown .test names are NXDOMAIN. */
export async function startDns(opts: DnsOptions): Promise<DnsInstance> {
  const dnsmasq = requireExecutable('dnsmasq')
  await reapOrphans()
  const port = opts.port ?? (await freeTcpUdpPort(HOST))
  const name = `dnsmasq ${HOST}:${port}`
  if (!(await isPortFree(HOST, port, 'udp')) || !(await isPortFree(HOST, port, 'tcp'))) {
    throw new Error(`${name}: the port is already in use`)
  }
  const dir = await makeServerDir('dns', ['pid'])
  const confPath = join(dir, 'hosts.conf')
  const logPath = join(dir, 'dns.log')
  const outPath = join(dir, 'dnsmasq.out')
  const records = opts.records.includes('local=/test/') ? opts.records : [...opts.records, 'local=/test/']
  await writeFile(confPath, records.map((line) => `${line}\n`).join(''))

  let child: ChildProcess | undefined
  let exited: string | undefined
  let stopping: Promise<void> | undefined
  const details = async (): Promise<string> =>
    `${await logTail(outPath, 20)}\n${await logTail(logPath, 20)}`

  const instance: DnsInstance & { name: string; killAll(): void } = {
    name, port, dir, server: `${HOST}:${port}`,
    killAll: () => {
      if (child?.pid !== undefined && exited === undefined) signal(child.pid, 'SIGKILL')
    },
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    stop() {
      stopping ??= (async () => {
        untrack(instance)
        try {
          await terminate(exited === undefined ? child?.pid : undefined)
          await waitForPortFree(HOST, port, 10_000, { proto: 'udp', detail: details })
          await waitForPortFree(HOST, port, 10_000, { proto: 'tcp', detail: details })
        } finally {
          await removeServerDir(dir)
        }
      })()
      return stopping
    }
  }

  try {
    // Output goes to a file, not a pipe: nothing leaks into the test output and nothing holds the event loop.
    const out = openSync(outPath, 'w')
    try {
      child = spawn(dnsmasq, [
        '--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll', `--port=${port}`,
        `--listen-address=${HOST}`, '--bind-interfaces', `--conf-file=${confPath}`, `--pid-file=${join(dir, 'pid')}`,
        '--user=root', `--log-facility=${logPath}`, '--log-queries'
      ], { stdio: ['ignore', out, out] })
    } finally {
      closeSync(out)
    }
    child.on('exit', (code, sig) => { exited = sig ? `signal ${sig}` : `exit code ${code}` })
    child.on('error', (err) => { exited = err.message })
    child.unref()
    track(instance)
    await pollUntil(async () => {
      if (exited !== undefined) throw new Error(`${name}: dnsmasq exited (${exited})\n${await details()}`)
      return (await isListening(HOST, port, 'udp')) && (await isListening(HOST, port, 'tcp'))
    }, opts.startTimeoutMs ?? 10_000, async () => `${name} did not start within ${opts.startTimeoutMs ?? 10_000} ms\n${await details()}`, 25)
  } catch (err) {
    await instance.stop().catch(() => undefined)
    throw err
  }
  return instance
}
