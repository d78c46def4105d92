// The rules editor: which tab is open, the local users, one editor per file kind, and the live expansion preview (rules.preview).
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { CallArgs, LocalUserInfo, RuleKind, RulesPreview } from '@shared/contract'
import type { ErrorInfo } from '@shared/result'
import { useBackend } from '../ipc/backend'
import { createRuleEditor } from '../util/ruleEditor'

export type RulesTab = 'aliases' | 'forward' | 'vacation'

/** Wait this long after the last change (address or text) before asking for a preview. */
export const PREVIEW_DELAY_MS = 300

export const useRulesStore = defineStore('rules', () => {
  const backend = useBackend()
  const tab = ref<RulesTab>('aliases')
  const users = shallowRef<LocalUserInfo[]>([])
  const usersError = ref<ErrorInfo | null>(null)
  const editors = {
    aliases: reactive(createRuleEditor('aliases', backend.client)),
    forward: reactive(createRuleEditor('forward', backend.client))
  }

  const previewAddress = ref('')
  const preview = shallowRef<RulesPreview | null>(null)
  const previewError = ref<ErrorInfo | null>(null)
  const previewing = ref(false)
  let previewTimer: ReturnType<typeof setTimeout> | null = null
  let previewSeq = 0

  const current = computed(() => (tab.value === 'vacation' ? null : editors[tab.value]))

  /** The unsaved text of the open file, if any: the preview follows what is being edited. */
  const draft = computed<CallArgs<'rules.preview'>['draft']>(() => {
    const editor = current.value
    if (editor === null || !editor.dirty) return undefined
    return editor.user === null ? { kind: editor.kind, text: editor.text } : { kind: editor.kind, user: editor.user, text: editor.text }
  })

  async function loadUsers(): Promise<void> {
    const result = await backend.client.call('rules.users', {})
    if (result.ok) {
      users.value = result.value
      usersError.value = null
    } else usersError.value = result.error
  }

  /** First visit: users, then the open tab's file. */
  async function open(): Promise<void> {
    await loadUsers()
    await openTab(tab.value)
  }

  async function openTab(next: RulesTab): Promise<void> {
    tab.value = next
    if (next === 'vacation') return
    const editor = editors[next]
    if (editor.file === null && !editor.loading) {
      const self = users.value.find((u) => u.self)?.name ?? null
      await editor.load(next === 'forward' ? editor.user ?? self : null)
    }
  }

  async function selectForwardUser(name: string): Promise<void> {
    await editors.forward.load(name)
  }

  async function runPreview(): Promise<void> {
    previewTimer = null
    const address = previewAddress.value.trim()
    const mine = ++previewSeq
    if (address === '') {
      preview.value = null
      previewError.value = null
      previewing.value = false
      return
    }
    previewing.value = true
    const args: CallArgs<'rules.preview'> = draft.value === undefined ? { address } : { address, draft: draft.value }
    const result = await backend.client.call('rules.preview', args)
    if (mine !== previewSeq) return
    previewing.value = false
    if (result.ok) {
      preview.value = result.value
      previewError.value = null
    } else {
      preview.value = null
      previewError.value = result.error
    }
  }

  function schedulePreview(): void {
    if (previewTimer !== null) clearTimeout(previewTimer)
    previewTimer = setTimeout(() => void runPreview(), PREVIEW_DELAY_MS)
  }

  // Live: a new address, an edit, a save or a tab change each give a fresh preview (debounced).
  watch([previewAddress, () => draft.value?.text, () => draft.value?.kind, () => current.value?.file?.mtimeMs], schedulePreview)

  function editorOf(kind: RuleKind) {
    return editors[kind]
  }

  return {
    tab, users, usersError, editors, current, draft,
    previewAddress, preview, previewError, previewing,
    open, openTab, loadUsers, selectForwardUser, runPreview, editorOf
  }
})
