// `mailroom vacation USER`: the out-of-office program run from a .forward line (being built).
import { EX } from '../../shared/error-codes'

export async function runVacation(_argv: readonly string[], program: string): Promise<number> {
  process.stderr.write(`${program}: not available yet\n`)
  return EX.TEMPFAIL
}
