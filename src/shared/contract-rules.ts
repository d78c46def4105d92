// IPC contract, rules section: aliases, .forward and out-of-office editors and the expansion preview.
import { z } from 'zod'
import { emailAddress, empty } from './contract-base'

/** Biggest rules file the editor reads or writes (aliases files are small; this only stops accidents). */
export const RULES_TEXT_LIMIT = 256 * 1024

export const ruleKind = z.enum(['aliases', 'forward'])
export type RuleKind = z.infer<typeof ruleKind>

const userName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'a local user name')
const ruleText = z.string().max(RULES_TEXT_LIMIT, `a rules file is limited to ${RULES_TEXT_LIMIT / 1024} KiB`)

/** Which file: etc/aliases, or a local user's .forward (user omitted: the OS user running Mailroom). */
const fileRef = { kind: ruleKind, user: userName.optional() }

/** What one target of an entry is: a local mailbox (\user), an address (local name or remote), "|program", /file, :include:file. */
export const ruleTargetKind = z.enum(['mailbox', 'address', 'program', 'file', 'include'])
export type RuleTargetKind = z.infer<typeof ruleTargetKind>

export const ruleTarget = z.object({ kind: ruleTargetKind, value: z.string() })
export type RuleTarget = z.infer<typeof ruleTarget>

/** One entry of the file: an alias (name → targets) or a .forward line (name null). Lines are 1-based. */
export const ruleEntry = z.object({
  line: z.number().int(),
  endLine: z.number().int(),
  name: z.string().nullable(),
  targets: z.array(ruleTarget)
})
export type RuleEntry = z.infer<typeof ruleEntry>

/** A problem tied to a line (1-based; 0 = the file as a whole). */
export const ruleProblem = z.object({ line: z.number().int(), message: z.string() })
export type RuleProblem = z.infer<typeof ruleProblem>

export const ruleCheck = z.object({
  entries: z.array(ruleEntry),
  errors: z.array(ruleProblem),
  warnings: z.array(ruleProblem)
})
export type RuleCheck = z.infer<typeof ruleCheck>

export const rulesFile = ruleCheck.extend({
  kind: ruleKind,
  /** The .forward's owner; null for aliases. */
  user: z.string().nullable(),
  path: z.string(),
  exists: z.boolean(),
  text: z.string(),
  /** Modification time when read (ms), for rules.save's expectedMtime; null when the file does not exist. */
  mtimeMs: z.number().nullable()
})
export type RulesFile = z.infer<typeof rulesFile>

/** What newaliases reported after an aliases save. */
export const aliasesCompiled = z.object({ path: z.string(), entries: z.number().int(), warnings: z.array(z.string()) })

export const rulesSaved = z.object({
  file: rulesFile,
  /** Where the previous version was kept (`<file>.bak`); null when there was no previous file. */
  backup: z.string().nullable(),
  compiled: aliasesCompiled.nullable()
})
export type RulesSaved = z.infer<typeof rulesSaved>

export const previewStep = z.object({
  source: z.enum(['aliases', 'forward', 'include', 'user']),
  file: z.string(),
  line: z.number().int(),
  from: z.string(),
  to: z.string()
})
export type PreviewStep = z.infer<typeof previewStep>

export const previewTarget = z.object({
  kind: z.enum(['mailbox', 'program', 'file', 'remote']),
  /** The user, command, path or address. */
  value: z.string(),
  /** e.g. "root's mailbox — via aliases line 12, www → webmaster → root". */
  sentence: z.string(),
  via: z.array(previewStep)
})
export type PreviewTarget = z.infer<typeof previewTarget>

export const rulesPreview = z.object({
  recipient: z.string(),
  /** True when the address is delivered somewhere and nothing bounces. */
  deliverable: z.boolean(),
  /** The local-ness of the address: remote addresses are not expanded. */
  local: z.boolean(),
  /** e.g. "mail for webmaster@localhost goes to: root's mailbox — via aliases line 12, www → webmaster → root". */
  summary: z.string(),
  targets: z.array(previewTarget),
  problems: z.array(z.object({ kind: z.string(), message: z.string(), permanent: z.boolean() })),
  warnings: z.array(z.string()),
  /** True when the preview used unsaved text (draft). */
  draft: z.boolean()
})
export type RulesPreview = z.infer<typeof rulesPreview>

export const localUserInfo = z.object({
  name: z.string(),
  home: z.string(),
  forwardPath: z.string(),
  /** The OS user running Mailroom. */
  self: z.boolean()
})
export type LocalUserInfo = z.infer<typeof localUserInfo>

/** The out-of-office rule the editor shows (RFC 5230 vacation parameters). */
export const vacationRule = z.object({
  subject: z.string().max(998).refine((s) => !/[\r\n]/.test(s), 'the subject cannot contain line breaks'),
  body: z.string().min(1, 'write the reply text').max(64 * 1024),
  /** Reply at most once per sender per this many days. */
  days: z.number().int().min(1).max(365),
  /** More addresses of the user (mail to them counts as "to me" and is never answered). */
  addresses: z.array(emailAddress).max(50),
  /** Optional period (ms since the epoch); outside it no reply is sent. */
  startsAt: z.number().int().min(0).nullable(),
  endsAt: z.number().int().min(0).nullable(),
  /** The From of the reply ("Name <addr>" or addr); null: the address the message was sent to. */
  from: z.string().max(320).nullable().optional()
}).strict().refine((r) => r.startsAt === null || r.endsAt === null || r.startsAt < r.endsAt, { message: 'the end must come after the start', path: ['endsAt'] })
export type VacationRule = z.infer<typeof vacationRule>

export const vacationState = z.object({
  user: z.string(),
  rule: vacationRule.nullable(),
  /** The user's .forward carries the `"|mailroom vacation user"` line. */
  enabled: z.boolean(),
  forwardPath: z.string()
})
export type VacationState = z.infer<typeof vacationState>

export const rulesCalls = {
  /** Reads etc/aliases or a user's .forward, parsed with line numbers. A missing file is an empty one (exists: false). */
  'rules.get': { args: z.object(fileRef).strict(), result: rulesFile },
  /** Checks text without saving: line-by-line errors and the entries. */
  'rules.validate': { args: z.object({ ...fileRef, text: ruleText }).strict(), result: ruleCheck },
  /** Saves atomically (previous version kept as <file>.bak); refused when the text has errors or the file changed on disk since expectedMtime. Aliases are then compiled. */
  'rules.save': {
    args: z.object({ ...fileRef, text: ruleText, expectedMtime: z.number().nullable().optional() }).strict(),
    result: rulesSaved
  },
  /** Who gets mail for an address, and why (the engine of `sendmail -bv`); draft: preview unsaved text. */
  'rules.preview': {
    args: z.object({
      address: z.string().trim().min(1, 'type an address').max(320),
      draft: z.object({ ...fileRef, text: ruleText }).strict().optional()
    }).strict(),
    result: rulesPreview
  },
  'rules.users': { args: empty, result: z.array(localUserInfo) },
  'vacation.get': { args: z.object({ user: userName }).strict(), result: vacationState },
  /** Saves the rule; enable writes (or removes) the `\user, "|mailroom vacation user"` line of the user's .forward, keeping the rest. */
  'vacation.save': { args: z.object({ user: userName, rule: vacationRule, enable: z.boolean() }).strict(), result: vacationState },
  /** The rule as a Sieve `vacation` script (RFC 5230). */
  'vacation.sieve': { args: z.object({ user: userName }).strict(), result: z.object({ script: z.string() }) },
  /** Uploads that script to the account's ManageSieve server (RFC 5804) and activates it. */
  'vacation.upload': {
    args: z.object({ user: userName, accountId: z.string().min(1).max(64) }).strict(),
    result: z.object({ scriptName: z.string(), server: z.string(), active: z.boolean() })
  }
} as const

export const rulesEvents = {} as const
