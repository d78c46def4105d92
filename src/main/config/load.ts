// Reads and validates config.json; a missing file means defaults, an invalid one is refused naming the key and the reason.
import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { AppError } from '../../shared/result'
import { configSchema, type Config } from './schema'

function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.length === 0 ? '(top level)' : issue.path.map(String).join('.')
  return `${key}: ${issue.message}`
}

/** Validates an already-parsed object; `source` names the file in messages. */
export function parseConfig(raw: unknown, source = 'config.json'): Config {
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map(describeIssue)
    throw new AppError('CONFIG_INVALID', `${source} is invalid: ${problems.join('; ')}`, { file: source, problems })
  }
  return parsed.data
}

export async function loadConfig(file: string): Promise<Config> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return parseConfig({}, file)
    throw new AppError('CONFIG_INVALID', `${file} cannot be read: ${(error as Error).message}`, { file }, { cause: error })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, { file }, { cause: error })
  }
  return parseConfig(raw, file)
}
