// readJsonFile: missing is undefined; unreadable or invalid JSON is an AppError with the caller's code, naming the file.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readJsonFile } from '../../../src/main/fsutil/json-file'
import { AppError } from '../../../src/shared/result'

let dir: string
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mailroom-json-')) })
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(AppError)
  return error as AppError
}

describe('readJsonFile', () => {
  it('parses the file, and reads a missing one as undefined', async () => {
    const file = join(dir, 'config.json')
    expect(await readJsonFile(file, 'CONFIG_INVALID')).toBeUndefined()
    await writeFile(file, '{"a":[1]}')
    expect(await readJsonFile(file, 'CONFIG_INVALID')).toEqual({ a: [1] })
  })

  it('refuses invalid JSON with the code given, the file name and the hint', async () => {
    const file = join(dir, 'rule.json')
    await writeFile(file, '{"a":')
    const error = await failure(readJsonFile(file, 'VACATION_RULE_INVALID', 'fix it first'))
    expect(error.code).toBe('VACATION_RULE_INVALID')
    expect(error.message).toMatch(new RegExp(`^${file} is not valid JSON: .+; fix it first$`))
  })

  it('says a file that cannot be read (a folder) cannot be read', async () => {
    const file = join(dir, 'folder.json')
    await mkdir(file)
    const error = await failure(readJsonFile(file, 'CONFIG_INVALID'))
    expect(error.code).toBe('CONFIG_INVALID')
    expect(error.message).toContain(`${file} cannot be read`)
  })
})
