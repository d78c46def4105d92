// The out-of-office rule of one local user (MAILROOM_HOME/etc/vacation/<user>.json): schema, load, atomic save.
// The field names match the IPC contract's vacationRule (src/shared/contract-rules.ts), plus `enabled` and `from`.
import { join } from 'node:path'
import { z } from 'zod'
import { checkAddress } from '../../shared/address'
import { AppError } from '../../shared/result'
import type { Paths } from '../config/paths'
import { writeFileAtomic } from '../fsutil/atomic-write'
import { readJsonFile } from '../fsutil/json-file'

/** The default subject: RFC 3834 §3.1.5 "Auto: " + the original subject (%s). */
export const DEFAULT_VACATION_SUBJECT = 'Auto: %s'
export const DEFAULT_VACATION_DAYS = 7

const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/i

const bareAddress = z.string().trim().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid email address (${check.reason})` })
})

/** "addr@x" or "Name <addr@x>": the From of the reply. */
const fromIdentity = z.string().trim().min(1).max(320).superRefine((value, ctx) => {
  if (/[\r\n]/.test(value)) {
    ctx.addIssue({ code: 'custom', message: 'the From identity cannot contain line breaks' })
    return
  }
  const angle = /<([^<>]*)>\s*$/.exec(value)
  const address = angle !== null ? (angle[1] as string) : value
  const check = checkAddress(address)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `"${address}" is not a valid email address (${check.reason})` })
})

export const vacationRuleSchema = z.strictObject({
  /** Off keeps the rule but sends nothing (the .forward line may stay). */
  enabled: z.boolean().default(true),
  /** Subject of the reply; %s is the original subject. */
  subject: z.string().max(998).refine((s) => !/[\r\n]/.test(s), 'the subject cannot contain line breaks').default(DEFAULT_VACATION_SUBJECT),
  /** The reply text (plain text, UTF-8). */
  body: z.string().min(1, 'write the reply text').max(64 * 1024),
  /** Reply at most once per sender per this many days (RFC 5230 :days, minimum 1). */
  days: z.number().int().min(1).max(365).default(DEFAULT_VACATION_DAYS),
  /** More addresses of the user, besides the defaults (local address, local.users[].addresses, account emails). */
  addresses: z.array(bareAddress).max(50).default([]),
  /** Optional period (ms since the epoch); outside it no reply is sent. */
  startsAt: z.number().int().min(0).nullable().default(null),
  endsAt: z.number().int().min(0).nullable().default(null),
  /** The From of the reply ("Name <addr>" or addr); default: the user's address the message was sent to. */
  from: fromIdentity.nullable().default(null)
}).refine((r) => r.startsAt === null || r.endsAt === null || r.startsAt < r.endsAt, { message: 'the end must come after the start', path: ['endsAt'] })

export type VacationRule = z.output<typeof vacationRuleSchema>
/** What a caller may pass to saveVacationRule (defaults filled in); the contract's VacationRule fits. */
export type VacationRuleInput = z.input<typeof vacationRuleSchema>

function checkUser(user: string): void {
  if (!USER_NAME.test(user)) throw new AppError('INVALID_ARGUMENT', `"${user}" is not a local user name`, { user })
}

export function vacationRulePath(paths: Pick<Paths, 'etc'>, user: string): string {
  checkUser(user)
  return join(paths.etc, 'vacation', `${user}.json`)
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? '(top level)' : issue.path.join('.')}: ${issue.message}`).join('; ')
}

/** Validates a rule (throws VACATION_RULE_INVALID naming the field). */
export function parseVacationRule(raw: unknown, source = 'vacation rule'): VacationRule {
  const parsed = vacationRuleSchema.safeParse(raw)
  if (!parsed.success) throw new AppError('VACATION_RULE_INVALID', `${source} is invalid: ${describeIssues(parsed.error)}`, { file: source })
  return parsed.data
}

/** The user's rule, or null when none was saved. An unreadable or invalid file is an error, never silently "no rule". */
export async function loadVacationRule(paths: Pick<Paths, 'etc'>, user: string): Promise<VacationRule | null> {
  const file = vacationRulePath(paths, user)
  const raw = await readJsonFile(file, 'VACATION_RULE_INVALID')
  return raw === undefined ? null : parseVacationRule(raw, file)
}

/** Validates and writes the rule atomically (previous version kept as <file>.bak); returns the rule as stored. */
export async function saveVacationRule(paths: Pick<Paths, 'etc'>, user: string, rule: VacationRuleInput): Promise<VacationRule> {
  const file = vacationRulePath(paths, user)
  const valid = parseVacationRule(rule, `the out-of-office rule of ${user}`)
  await writeFileAtomic(file, JSON.stringify(valid, null, 2) + '\n', { backup: true, createDir: 0o700 })
  return valid
}

/** The user's addresses by default: user@hostname and user@each local domain, the configured extra addresses, and
 * (for the OS user running Mailroom) the accounts' emails. Lower-cased, without duplicates. */
export function defaultUserAddresses(input: {
  user: string
  hostname: string
  localDomains: readonly string[]
  localUsers: ReadonlyArray<{ name: string; addresses: readonly string[] }>
  accountEmails: readonly string[]
  isSelf: boolean
}): string[] {
  const out = [input.hostname, ...input.localDomains].map((domain) => `${input.user}@${domain}`)
  for (const local of input.localUsers) if (local.name === input.user) out.push(...local.addresses)
  if (input.isSelf) out.push(...input.accountEmails)
  return [...new Set(out.map((a) => a.trim().toLowerCase()).filter((a) => a !== ''))]
}
