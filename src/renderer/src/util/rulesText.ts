// The rules editor's form model over the text of etc/aliases or a .forward: rows that keep comments and untouched lines verbatim.
// parse(text) → doc, serialize(doc) → text, and serialize(parse(text)) === text for every text (the form never loses a byte it did
// not change). The server's parser (rules.validate) is the judge of errors; this only splits entries so they can be edited as rows.
import type { RuleKind, RuleProblem, RuleTargetKind } from '@shared/contract'

export interface RuleRow {
  /** Stable within one doc (for v-for keys); not saved. */
  id: number
  /** Comment and blank lines just before the entry, verbatim. */
  leading: string[]
  /** The entry's original lines while it is unchanged; null once edited (then formatted from name and targets). */
  raw: string[] | null
  /** Alias name (aliases); null for a .forward line. */
  name: string | null
  /** The targets as written, comma separated (continuation lines joined). */
  targets: string
}

export interface RuleDoc {
  kind: RuleKind
  rows: RuleRow[]
  /** Comment and blank lines after the last entry. */
  trailing: string[]
  /** The text ended with a newline. */
  finalNewline: boolean
}

let nextId = 1

function isLeading(line: string): boolean {
  const trimmed = line.trim()
  return trimmed === '' || trimmed.startsWith('#')
}

function isContinuation(kind: RuleKind, line: string): boolean {
  return kind === 'aliases' && /^[ \t]/.test(line) && line.trim() !== '' && !line.trim().startsWith('#')
}

function rowFrom(kind: RuleKind, leading: string[], lines: string[]): RuleRow {
  const first = lines[0] ?? ''
  if (kind === 'forward') return { id: nextId++, leading, raw: lines, name: null, targets: first.trim() }
  const colon = first.indexOf(':')
  const name = colon < 0 ? first.trim() : first.slice(0, colon).trim()
  const rest = [colon < 0 ? '' : first.slice(colon + 1), ...lines.slice(1)].map((l) => l.trim()).filter((l) => l !== '')
  return { id: nextId++, leading, raw: lines, name, targets: rest.join(' ') }
}

export function parseRules(kind: RuleKind, text: string): RuleDoc {
  const finalNewline = text.endsWith('\n')
  const lines = text === '' ? [] : (finalNewline ? text.slice(0, -1) : text).split('\n')
  const rows: RuleRow[] = []
  let leading: string[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i] as string
    // A continuation line with no entry before it is kept as an entry of its own, so the server can point at it.
    if (isLeading(line)) {
      leading.push(line)
      i += 1
      continue
    }
    const entry = [line]
    i += 1
    while (i < lines.length && isContinuation(kind, lines[i] as string)) entry.push(lines[i++] as string)
    rows.push(rowFrom(kind, leading, entry))
    leading = []
  }
  return { kind, rows, trailing: leading, finalNewline: finalNewline || text === '' }
}

/** One line for an edited row: "name: a, b" (aliases) or "a, b" (.forward); an empty row writes nothing. */
export function formatRow(kind: RuleKind, row: Pick<RuleRow, 'name' | 'targets'>): string[] {
  const targets = row.targets.trim()
  if (kind === 'forward') return targets === '' ? [] : [targets]
  const name = (row.name ?? '').trim()
  if (name === '' && targets === '') return []
  return [targets === '' ? `${name}:` : `${name}: ${targets}`]
}

export interface Serialized {
  text: string
  /** Per row id, the 1-based lines its entry occupies in `text` (absent for an empty row). */
  lines: Map<number, { line: number; endLine: number }>
}

export function serializeRules(doc: RuleDoc): Serialized {
  const out: string[] = []
  const lines = new Map<number, { line: number; endLine: number }>()
  for (const row of doc.rows) {
    out.push(...row.leading)
    const body = row.raw ?? formatRow(doc.kind, row)
    if (body.length > 0) lines.set(row.id, { line: out.length + 1, endLine: out.length + body.length })
    out.push(...body)
  }
  out.push(...doc.trailing)
  const text = out.length === 0 ? '' : out.join('\n') + (doc.finalNewline ? '\n' : '')
  return { text, lines }
}

export function emptyRow(kind: RuleKind): RuleRow {
  return { id: nextId++, leading: [], raw: null, name: kind === 'aliases' ? '' : null, targets: '' }
}

/** Splits targets at commas outside double quotes ("|prog a, b" stays one). */
export function splitTargets(targets: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (const char of targets) {
    if (char === '"') quoted = !quoted
    if (char === ',' && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts.map((p) => p.trim()).filter((p) => p !== '')
}

/** What a target is, from how it is written (the same rules as the server's parser). */
export function targetKind(target: string): RuleTargetKind {
  const bare = target.replace(/^"(.*)"$/s, '$1').trim()
  if (bare.startsWith('|')) return 'program'
  if (/^:include:/i.test(bare)) return 'include'
  if (bare.startsWith('/')) return 'file'
  if (bare.startsWith('\\')) return 'mailbox'
  return 'address'
}

export const TARGET_KIND_LABEL: Record<RuleTargetKind, string> = {
  mailbox: 'mailbox',
  address: 'address',
  program: 'program',
  file: 'file',
  include: 'include'
}

/** The problems (from rules.validate) that fall on a row's lines. */
export function problemsOfRow(problems: readonly RuleProblem[], lines: { line: number; endLine: number } | undefined): RuleProblem[] {
  if (lines === undefined) return []
  return problems.filter((p) => p.line >= lines.line && p.line <= lines.endLine)
}

/** Problems on no row (the file as a whole, line 0, or a line the form does not show). */
export function problemsOutsideRows(problems: readonly RuleProblem[], lines: Map<number, { line: number; endLine: number }>): RuleProblem[] {
  const ranges = [...lines.values()]
  return problems.filter((p) => !ranges.some((r) => p.line >= r.line && p.line <= r.endLine))
}
