// One rules file open in the editor (etc/aliases or a user's .forward): load, edit as rows or raw text, validate (debounced), save.
// The text is the truth; form edits patch it through the row model (util/rulesText.ts), so comments and untouched lines survive.
import { computed, ref, shallowRef } from 'vue'
import type { MailroomClient } from '@shared/client'
import type { RuleCheck, RuleKind, RuleProblem, RulesFile, RulesSaved } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { emptyRow, parseRules, problemsOfRow, problemsOutsideRows, serializeRules, type RuleDoc, type RuleRow } from './rulesText'

/** Wait this long after the last keystroke before asking the server to validate. */
export const VALIDATE_DELAY_MS = 250

export type EditorMode = 'form' | 'raw'

/** A save refused because the file changed on disk since it was opened (rules-store's INVALID_STATE with reason conflict). */
export function isConflict(error: ErrorInfo | null): boolean {
  return error !== null && error.code === 'INVALID_STATE' && error.details?.reason === 'conflict'
}

function problemsFrom(error: ErrorInfo): RuleProblem[] | null {
  const errors = error.details?.errors
  return Array.isArray(errors) ? (errors as RuleProblem[]) : null
}

export function createRuleEditor(kind: RuleKind, client: MailroomClient) {
  const user = ref<string | null>(null)
  const file = shallowRef<RulesFile | null>(null)
  const text = ref('')
  const doc = shallowRef<RuleDoc>(parseRules(kind, ''))
  const mode = ref<EditorMode>('form')
  const check = shallowRef<RuleCheck | null>(null)
  const checkedText = ref<string | null>(null)
  const loading = ref(false)
  const loadError = ref<ErrorInfo | null>(null)
  const saving = ref(false)
  const saveError = ref<ErrorInfo | null>(null)
  const saved = shallowRef<RulesSaved | null>(null)
  let timer: ReturnType<typeof setTimeout> | null = null
  let loadSeq = 0

  const dirty = computed(() => file.value !== null && text.value !== file.value.text)
  const layout = computed(() => serializeRules(doc.value).lines)
  const errors = computed(() => check.value?.errors ?? [])
  const warnings = computed(() => check.value?.warnings ?? [])
  /** The last check is for the text on screen (no validation pending). */
  const checked = computed(() => checkedText.value === text.value)
  const conflict = computed(() => isConflict(saveError.value))
  const fileProblems = computed(() => problemsOutsideRows(errors.value, layout.value))

  function ref_(): { kind: RuleKind; user?: string } {
    return user.value === null ? { kind } : { kind, user: user.value }
  }

  async function validateNow(): Promise<void> {
    timer = null
    const asked = text.value
    const result = await client.call('rules.validate', { ...ref_(), text: asked })
    if (asked !== text.value) return
    if (result.ok) {
      check.value = result.value
      checkedText.value = asked
    } else {
      check.value = { entries: [], errors: [{ line: 0, message: result.error.message }], warnings: [] }
      checkedText.value = asked
    }
  }

  function scheduleValidate(): void {
    if (timer !== null) clearTimeout(timer)
    timer = setTimeout(() => void validateNow(), VALIDATE_DELAY_MS)
  }

  function adopt(next: RulesFile): void {
    file.value = next
    text.value = next.text
    doc.value = parseRules(kind, next.text)
    check.value = { entries: next.entries, errors: next.errors, warnings: next.warnings }
    checkedText.value = next.text
  }

  /** Opens the file (for .forward: of `forUser`, or the OS user when null). Unsaved text is dropped: the view asks first. */
  async function load(forUser: string | null = user.value): Promise<void> {
    const mine = ++loadSeq
    user.value = forUser
    loading.value = true
    loadError.value = null
    saveError.value = null
    saved.value = null
    try {
      const result = await client.call('rules.get', ref_())
      if (mine !== loadSeq) return
      if (result.ok) adopt(result.value)
      else {
        loadError.value = result.error
        file.value = null
      }
    } finally {
      if (mine === loadSeq) loading.value = false
    }
  }

  /** After an edit: the last save's note and a refusal of the old text are out of date (a conflict stays until resolved). */
  function edited(): void {
    saved.value = null
    if (!conflict.value) saveError.value = null
    scheduleValidate()
  }

  function setText(next: string): void {
    if (next === text.value) return
    text.value = next
    doc.value = parseRules(kind, next)
    edited()
  }

  function commitDoc(next: RuleDoc): void {
    doc.value = next
    text.value = serializeRules(next).text
    edited()
  }

  function updateRow(id: number, patch: Partial<Pick<RuleRow, 'name' | 'targets'>>): void {
    const rows = doc.value.rows.map((row) => (row.id === id ? { ...row, ...patch, raw: null } : row))
    commitDoc({ ...doc.value, rows })
  }

  function addRow(): RuleRow {
    const row = emptyRow(kind)
    commitDoc({ ...doc.value, rows: [...doc.value.rows, row] })
    return row
  }

  /** Removes a row; its leading comments stay (moved to the next row, or the end). */
  function removeRow(id: number): void {
    const index = doc.value.rows.findIndex((row) => row.id === id)
    if (index < 0) return
    const removed = doc.value.rows[index] as RuleRow
    const rows = doc.value.rows.filter((row) => row.id !== id)
    const next = rows[index]
    let trailing = doc.value.trailing
    if (next !== undefined) rows[index] = { ...next, leading: [...removed.leading, ...next.leading] }
    else trailing = [...removed.leading, ...trailing]
    commitDoc({ ...doc.value, rows, trailing })
  }

  function setMode(next: EditorMode): void {
    if (next === 'form') doc.value = parseRules(kind, text.value)
    mode.value = next
  }

  function rowProblems(id: number): RuleProblem[] {
    return problemsOfRow(errors.value, layout.value.get(id))
  }

  function rowLines(id: number): { line: number; endLine: number } | undefined {
    return layout.value.get(id)
  }

  async function save(overwrite = false): Promise<boolean> {
    if (file.value === null || saving.value) return false
    saving.value = true
    saveError.value = null
    try {
      let expectedMtime = file.value.mtimeMs
      if (overwrite) {
        // "Keep my text": the user saw the conflict and chose to replace what is on disk now.
        const fresh = await client.call('rules.get', ref_())
        if (!fresh.ok) {
          saveError.value = fresh.error
          return false
        }
        expectedMtime = fresh.value.mtimeMs
      }
      const sent = text.value
      const result = await client.call('rules.save', { ...ref_(), text: sent, expectedMtime })
      if (!result.ok) {
        saveError.value = result.error
        const problems = problemsFrom(result.error)
        if (problems !== null) {
          check.value = { entries: check.value?.entries ?? [], errors: problems, warnings: check.value?.warnings ?? [] }
          checkedText.value = sent
        }
        return false
      }
      saved.value = result.value
      if (text.value === sent) adopt(result.value.file)
      else file.value = result.value.file
      return true
    } finally {
      saving.value = false
    }
  }

  function revert(): void {
    if (file.value === null) return
    adopt(file.value)
    saveError.value = null
  }

  function dispose(): void {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }

  return {
    kind, user, file, text, doc, mode, check, loading, loadError, saving, saveError, saved,
    dirty, errors, warnings, checked, conflict, fileProblems,
    load, setText, updateRow, addRow, removeRow, setMode, rowProblems, rowLines, save, revert, validateNow, dispose
  }
}

export type RuleEditor = ReturnType<typeof createRuleEditor>
