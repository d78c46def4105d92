// The architecture rule: only the Electron shell may import `electron`; the lint rule must fire everywhere else.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const eslint = new ESLint({ cwd: new URL('../../..', import.meta.url).pathname })
const code = "import { app } from 'electron'\nexport const ready = app.isReady\n"

async function electronErrors(filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message)
}

describe('electron import boundary', () => {
  it.each(['src/main/queue/spool-electron.ts', 'src/main/app/container-electron.ts', 'src/shared/contract-electron.ts', 'src/renderer/src/stores/x.ts'])('refuses electron in %s', async (file) => {
    const errors = await electronErrors(file)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('Only src/main/shell/, src/main/index.ts and src/preload/ may import electron')
  })

  it.each(['src/main/shell/tray.ts', 'src/main/index.ts', 'src/preload/index.ts'])('allows electron in %s', async (file) => {
    expect(await electronErrors(file)).toEqual([])
  })
}, 60_000)
