// Reads and validates config.json; a missing file means defaults, an invalid one is refused naming the key and the reason.
import type { z } from 'zod'
import { AppError } from '../../shared/result'
import { readJsonFile } from '../fsutil/json-file'
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

/** config.json; a missing file is the defaults. */
export async function loadConfig(file: string): Promise<Config> {
  return parseConfig((await readJsonFile(file, 'CONFIG_INVALID')) ?? {}, file)
}
