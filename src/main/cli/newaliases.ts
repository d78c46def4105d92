// `mailroom newaliases` / `sendmail -bi` / `-I`: compiles etc/aliases into etc/aliases.db.json atomically, reporting like sendmail.
// A bad line is reported as "aliases:LINE: reason" and exits 65 without touching the database in effect; a missing etc/aliases
// is first created with the default content (docs/rules.md).
import { EX } from '../../shared/error-codes'
import { pathsFor, resolveHome } from '../config/paths'
import { compileAliases, ensureDefaultAliases, type CompileResult } from '../local/aliases-db'
import { systemUser } from '../local/users'

/** What newaliases prints on stderr for a compile result (sendmail's words for the summary). */
export function newaliasesReport(program: string, result: CompileResult, created: boolean): string[] {
  const lines: string[] = []
  if (created) lines.push(`${program}: ${result.source} did not exist: wrote the default aliases`)
  for (const warning of result.warnings) lines.push(`${warning.file}:${warning.line}: warning: ${warning.message}`)
  for (const error of result.errors) lines.push(`${error.file}:${error.line}: ${error.message}`)
  if (result.ok) {
    lines.push(`${result.source}: ${result.stats.count} aliases, longest ${result.stats.longest} bytes, ${result.stats.total} bytes total`)
  } else {
    const count = result.errors.length
    lines.push(`${program}: ${result.source}: ${count} bad ${count === 1 ? 'line' : 'lines'}; ${result.database} was not changed (the aliases compiled before stay in effect)`)
  }
  return lines
}

export async function runNewaliases(program: string, verbose: boolean): Promise<number> {
  const paths = pathsFor(resolveHome())
  let result: CompileResult
  let created: boolean
  try {
    const fresh = await ensureDefaultAliases(paths.etc, systemUser().name)
    created = fresh !== null
    result = fresh ?? (await compileAliases(paths.etc))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    process.stderr.write(`${program}: cannot compile the aliases in ${paths.etc}: ${(error as Error).message}\n`)
    return code === 'EACCES' || code === 'EPERM' ? EX.NOPERM : code === 'ENOENT' ? EX.NOINPUT : EX.CANTCREAT
  }
  process.stderr.write(newaliasesReport(program, result, created).map((line) => line + '\n').join(''))
  if (verbose && result.ok) process.stderr.write(`${program}: wrote ${result.database}\n`)
  return result.ok ? EX.OK : EX.DATAERR
}
