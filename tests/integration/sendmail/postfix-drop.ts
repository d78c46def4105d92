// A throwaway Postfix that only accepts local submissions: sendmail → postdrop → pickup → cleanup → incoming/, and stops
// there (no qmgr, no listener on any port), so `postcat` shows exactly what Postfix made of a submission.
import { chown, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { track, untrack } from '../../support/cleanup'
import { backdate, logTail, makeServerDir, removeServerDir } from '../../support/files'
import { killGroup, pollUntil, readPidFile, run, runOk } from '../../support/proc'

export interface DropResult {
  code: number | null
  stderr: string
  /** The queue file as Postfix's cleanup wrote it (null when nothing was queued). */
  queued: PostcatFile | null
}

export interface PostcatFile {
  sender: string
  fullName: string | null
  /** Envelope recipients: command-line ones and those cleanup extracted from the headers (-t), in order. */
  recipients: string[]
  /** Message content with LF line ends, starting at the first header. */
  content: string
}

export interface PostfixDrop {
  readonly dir: string
  /** Runs Postfix's /usr/sbin/sendmail with MAIL_CONFIG pointing at this instance, waits for cleanup's queue file. */
  sendmail(args: string[], input: string, options?: { expectQueued?: boolean }): Promise<DropResult>
  stop(): Promise<void>
}

/** Parses `postcat -q ID`: envelope records, message contents, header-extracted recipients. */
export function parsePostcat(text: string): PostcatFile {
  const section = (name: string): string => {
    const start = text.indexOf(`*** ${name}`)
    if (start < 0) return ''
    const from = text.indexOf('\n', start) + 1
    const end = text.indexOf('\n*** ', from)
    return text.slice(from, end < 0 ? undefined : end + 1)
  }
  const records = section('ENVELOPE RECORDS') + section('HEADER EXTRACTED')
  const values = (key: string): string[] => [...records.matchAll(new RegExp(`^${key}: (.*)$`, 'gm'))].map((m) => m[1] as string)
  return { sender: values('sender')[0] ?? '', fullName: values('sender_fullname')[0] ?? null, recipients: values('recipient'), content: section('MESSAGE CONTENTS') }
}

export async function startPostfixDrop(hostname: string): Promise<PostfixDrop> {
  const dir = await makeServerDir('postfix-drop', ['spool/pid/master.pid'])
  const etc = join(dir, 'etc')
  for (const sub of ['etc', 'spool', 'data']) await mkdir(join(dir, sub))
  const { stdout: uid } = await runOk('id', ['-u', 'postfix'])
  await chown(join(dir, 'data'), Number.parseInt(uid.trim(), 10), 0)
  const mainCf: Record<string, string> = {
    compatibility_level: '3.6', queue_directory: `${dir}/spool`, data_directory: `${dir}/data`, meta_directory: '/etc/postfix',
    mail_owner: 'postfix', setgid_group: 'postdrop', myhostname: hostname, mydomain: hostname, myorigin: hostname, mydestination: '',
    inet_interfaces: 'loopback-only', inet_protocols: 'ipv4', alias_maps: '', alias_database: '',
    maillog_file_prefixes: '/tmp,/var', maillog_file: `${dir}/maillog`
  }
  await writeFile(join(etc, 'main.cf'), Object.entries(mainCf).map(([k, v]) => `${k} = ${v}\n`).join(''))
  // Only what a local submission passes through; no smtpd, no qmgr: queue files stay in incoming/.
  await writeFile(join(etc, 'master.cf'), [
    'pickup    unix  n       -       n       60      1       pickup',
    'cleanup   unix  n       -       n       -       0       cleanup',
    'rewrite   unix  -       -       n       -       -       trivial-rewrite',
    'postlog   unix-dgram n  -       n       -       1       postlogd',
    ''
  ].join('\n'))
  await backdate([join(etc, 'main.cf'), join(etc, 'master.cf')])
  const masterPid = (): number | undefined => readPidFile(join(dir, 'spool', 'pid', 'master.pid'))
  let stopping: Promise<void> | undefined
  const instance = {
    name: `postfix-drop ${dir}`,
    dir,
    killAll: () => {
      const pid = masterPid()
      if (pid !== undefined) killGroup(pid)
    },
    async sendmail(args: string[], input: string, options: { expectQueued?: boolean } = {}): Promise<DropResult> {
      const incoming = join(dir, 'spool', 'incoming')
      const before = new Set(await listQueue(incoming))
      const result = await run('env', [`MAIL_CONFIG=${etc}`, '/usr/sbin/sendmail', ...args], { input, timeoutMs: 20_000 })
      if (result.code !== 0) return { code: result.code, stderr: result.stderr, queued: null }
      if (options.expectQueued === false) {
        // Give pickup the time it needs for a real submission, then make sure none arrived.
        await new Promise((resolve) => setTimeout(resolve, 1500))
        const extra = (await listQueue(incoming)).filter((name) => !before.has(name))
        if (extra.length > 0) throw new Error(`postfix-drop: sendmail ${args.join(' ')} queued ${extra.join(', ')}`)
        return { code: result.code, stderr: result.stderr, queued: null }
      }
      const id = await pollUntil(async () => (await listQueue(incoming)).find((name) => !before.has(name)), 15_000,
        async () => `postfix-drop: no queue file appeared in incoming/\n${await logTail(join(dir, 'maillog'))}`, 50)
      // cleanup renames the finished file into incoming/; postcat reads it whole.
      const shown = await runOk('postcat', ['-c', etc, '-q', id])
      return { code: result.code, stderr: result.stderr, queued: parsePostcat(shown.stdout) }
    },
    stop() {
      stopping ??= (async () => {
        untrack(instance)
        await run('postfix', ['-c', etc, 'stop'], { timeoutMs: 10_000, outputFile: join(dir, 'stop.out') }).catch(() => undefined)
        instance.killAll()
        await removeServerDir(dir)
      })()
      return stopping
    }
  }
  track(instance)
  const started = await run('postfix', ['-c', etc, 'start'], { outputFile: join(dir, 'start.out') })
  if (started.code !== 0) {
    await instance.stop()
    throw new Error(`postfix-drop: postfix start failed (${started.code})\n${started.stdout}`)
  }
  return instance
}

async function listQueue(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const nested = await Promise.all(names.map(async (n) => (/^[0-9A-F]$/.test(n) ? readdir(join(dir, n)).catch(() => [] as string[]) : [n])))
  return nested.flat()
}
