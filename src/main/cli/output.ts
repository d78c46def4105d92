// How the CLI reports failures: "mailroom <command>: <message>" on stderr and the sysexits code from the error table.
import { errorCodes, EX } from '../../shared/error-codes'
import { AppError } from '../../shared/result'

export function reportError(program: string, error: unknown): number {
  if (error instanceof AppError) {
    process.stderr.write(`${program}: ${error.message}\n`)
    return errorCodes[error.code].exit
  }
  const e = error as NodeJS.ErrnoException
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    process.stderr.write(`${program}: the disk is full, nothing was queued (${e.message})\n`)
    return EX.TEMPFAIL
  }
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    process.stderr.write(`${program}: permission denied: ${e.message}\n`)
    return EX.NOPERM
  }
  if (e?.code === 'EIO' || e?.code === 'EROFS') {
    process.stderr.write(`${program}: I/O error, nothing was queued: ${e.message}\n`)
    return EX.TEMPFAIL
  }
  process.stderr.write(`${program}: internal error: ${e?.stack ?? String(error)}\n`)
  return EX.SOFTWARE
}
