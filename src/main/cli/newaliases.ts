// `mailroom newaliases` / `sendmail -bi` / `-I`: until local delivery and aliases land, says so and exits 0.
// Decision (docs/sendmail.md): like Postfix's newaliases with an empty alias_database, there is nothing to rebuild, so exit 0;
// unlike Postfix, say it on stderr, and warn when an etc/aliases file exists that this version does not read yet.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { EX } from '../../shared/error-codes'
import { pathsFor, resolveHome } from '../config/paths'

export async function runNewaliases(program: string, verbose: boolean): Promise<number> {
  const paths = pathsFor(resolveHome())
  const source = join(paths.etc, 'aliases')
  if (existsSync(source)) {
    process.stderr.write(`${program}: warning: ${source} exists, but this version of Mailroom has no aliases database yet; nothing was compiled and no alias is in effect\n`)
  } else {
    process.stderr.write(`${program}: no aliases database: this version of Mailroom does not use aliases yet (nothing to rebuild)\n`)
  }
  if (verbose) process.stderr.write(`${program}: local recipients are delivered as addressed\n`)
  return EX.OK
}
