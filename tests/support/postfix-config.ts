// Writes the config of a throwaway Postfix instance (main.cf, master.cf, maps) into its temp dir.
import { chown, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { backdate, selfSignedCert } from './files'
import { runOk } from './proc'

export interface PostfixConfigOptions {
  dir: string
  address: string
  port: number
  domains: string[]
  access: Record<string, string>
  tls: boolean
  /** Dovecot dir whose DIR/run/auth-client socket does SMTP AUTH */
  saslDovecotDir?: string
  relayhost?: string
  /** extra main.cf settings, applied last */
  mainCf?: Record<string, string>
}

/** uid 65534 (nobody) owns the delivered mail, as in the Dovecot instance. */
export const MAIL_UID = 65534

/** Lines of the access map: "rcpt@domain 550 5.1.1 no such user". */
export function accessMap(access: Record<string, string>): string {
  return Object.entries(access).map(([key, reply]) => `${key} ${reply}\n`).join('')
}

/** Create DIR/{etc,spool,data,mail} with the ownership Postfix needs and write every config file. */
export async function writePostfixConfig(o: PostfixConfigOptions): Promise<void> {
  const etc = join(o.dir, 'etc')
  for (const sub of ['etc', 'spool', 'data', 'mail']) await mkdir(join(o.dir, sub))
  // master fails to lock its data dir unless postfix owns it; virtual(8) delivers as 65534.
  await chown(join(o.dir, 'data'), await postfixUid(), 0)
  await chown(join(o.dir, 'mail'), MAIL_UID, MAIL_UID)

  await writeFile(join(etc, 'access'), accessMap(o.access))
  await writeFile(join(etc, 'vmailbox'), o.domains.map((d) => `@${d} inbox/\n`).join(''))
  await writeFile(join(etc, 'main.cf'), await mainCf(o, etc))
  await writeFile(join(etc, 'master.cf'), await masterCf(o.address, o.port))
  // Config files newer than "now" make Postfix wait before starting.
  await backdate((await readdir(etc)).map((f) => join(etc, f)))
}

async function mainCf(o: PostfixConfigOptions, etc: string): Promise<string> {
  const d = o.dir
  const first = o.domains[0] ?? 'remote.test'
  const cf = new Map<string, string>([
    ['compatibility_level', '3.6'],
    ['queue_directory', `${d}/spool`],
    ['data_directory', `${d}/data`],
    ['meta_directory', '/etc/postfix'],
    ['mail_owner', 'postfix'],
    ['setgid_group', 'postdrop'],
    ['myhostname', `mx.${first}`],
    ['mydomain', first],
    ['mydestination', ''],
    // "inet_interfaces = 127.0.0.2" fails (not an interface address): listen via master.cf instead.
    ['inet_interfaces', 'all'],
    ['inet_protocols', 'ipv4'],
    ['mynetworks', '127.0.0.0/8'],
    ['maillog_file_prefixes', '/tmp,/var'],
    ['maillog_file', `${d}/maillog`],
    ['virtual_mailbox_domains', o.domains.join(' ')],
    ['virtual_mailbox_base', `${d}/mail`],
    ['virtual_mailbox_maps', `texthash:${etc}/vmailbox`],
    ['virtual_uid_maps', `static:${MAIL_UID}`],
    ['virtual_gid_maps', `static:${MAIL_UID}`],
    ['smtpd_recipient_restrictions', `check_recipient_access texthash:${etc}/access, permit_mynetworks, reject_unauth_destination`],
    ['smtpd_relay_restrictions', 'permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination'],
    ['smtputf8_enable', 'no'],
    // Test speed: by default smtpd sleeps 1 s before every 4xx/5xx reply, and dozes 1 s before serving
    // a client when mail arrives faster than it is delivered.
    ['smtpd_error_sleep_time', '0'],
    ['in_flow_delay', '0'],
    ['alias_maps', ''],
    ['alias_database', '']
  ])
  if (o.tls) {
    await selfSignedCert(`${etc}/cert.pem`, `${etc}/key.pem`, `mx.${first}`)
    cf.set('smtpd_tls_cert_file', `${etc}/cert.pem`)
    cf.set('smtpd_tls_key_file', `${etc}/key.pem`)
    cf.set('smtpd_tls_security_level', 'may')
    cf.set('smtpd_tls_auth_only', 'yes')
  }
  if (o.relayhost) cf.set('relayhost', o.relayhost)
  if (o.saslDovecotDir) {
    // Smart host: relay only for authenticated clients (unauthenticated relay: 554 5.7.1).
    cf.set('smtpd_sasl_auth_enable', 'yes')
    cf.set('smtpd_sasl_type', 'dovecot')
    cf.set('smtpd_sasl_path', `${o.saslDovecotDir}/run/auth-client`)
    cf.set('smtpd_relay_restrictions', 'permit_sasl_authenticated, reject_unauth_destination')
    cf.set('smtpd_recipient_restrictions', `check_recipient_access texthash:${etc}/access, permit_sasl_authenticated, reject_unauth_destination`)
  }
  for (const [key, value] of Object.entries(o.mainCf ?? {})) cf.set(key, value)
  return [...cf].map(([key, value]) => `${key} = ${value}\n`).join('')
}

/** The packaged master.cf without its default "smtp inet" listener, plus ours on ADDRESS:PORT. */
async function masterCf(address: string, port: number): Promise<string> {
  const packaged = await readFile('/etc/postfix/master.cf', 'utf8')
  const kept = packaged.split('\n').filter((line) => !/^smtp\s+inet\s/.test(line))
  return `${kept.join('\n').trimEnd()}\n${address}:${port} inet n - n - - smtpd\n`
}

let cachedUid: number | undefined

async function postfixUid(): Promise<number> {
  if (cachedUid === undefined) {
    const { stdout } = await runOk('id', ['-u', 'postfix'])
    cachedUid = Number.parseInt(stdout.trim(), 10)
  }
  return cachedUid
}
