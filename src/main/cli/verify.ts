// `mailroom sendmail -bv addr…`: says, sendmail-style, how each address would be delivered; reads and sends nothing.
// Exit 0 when every address is deliverable, 67 (EX_NOUSER) when one is not, 64 without addresses.
import { checkAddress, domainOf } from '../../shared/address'
import { EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'
import type { Paths } from '../config/paths'
import { loadLocalDomains } from '../local/domains'
import { loadSubmitConfig } from './config-cache'

export interface VerifyLine {
  input: string
  ok: boolean
  text: string
}

/** One line per address, in sendmail's words: "addr... deliverable: mailer esmtp, host example.org, user addr". */
export function verifyAddress(input: string, hostname: string, isLocal: (domain: string) => boolean): VerifyLine {
  const trimmed = input.trim().replace(/^<(.*)>$/, '$1')
  if (trimmed === '') return { input, ok: false, text: `${input}... User address required` }
  const qualified = trimmed.includes('@') ? trimmed : `${trimmed}@${hostname}`
  const check = checkAddress(qualified)
  if (!check.ok) return { input, ok: false, text: `${trimmed}... User unknown (syntax error: ${check.reason})` }
  const domain = domainOf(qualified)
  if (isLocal(domain)) return { input, ok: true, text: `${qualified}... deliverable: mailer local, user ${check.local}` }
  return { input, ok: true, text: `${qualified}... deliverable: mailer esmtp, host ${domain}, user ${qualified}` }
}

export async function runVerify(paths: Paths, addresses: readonly string[]): Promise<number> {
  if (addresses.length === 0) throw new AppError('INVALID_ARGUMENT', '-bv needs at least one address to verify')
  const config = await loadSubmitConfig(paths)
  const local = await loadLocalDomains(config, paths.etc)
  let exit: number = EX.OK
  for (const address of addresses) {
    const line = verifyAddress(address, config.hostname, (d) => local.has(d))
    process.stdout.write(line.text + '\n')
    if (!line.ok) exit = EX.NOUSER
  }
  return exit
}
