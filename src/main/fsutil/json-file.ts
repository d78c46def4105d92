// Reads a JSON file that a person may have edited (config.json, out-of-office rules): a missing file is "nothing", any other
// problem an AppError that names the file and says whether it could not be read or is not valid JSON.
import { readFile } from 'node:fs/promises'
import type { ErrorCode } from '../../shared/error-codes'
import { AppError } from '../../shared/result'

/**
 * The parsed content of `file`, or undefined when it does not exist. An unreadable file or invalid JSON throws
 * AppError(`code`); `hint` (e.g. "fix it before changing accounts") is appended to the JSON message.
 */
export async function readJsonFile(file: string, code: ErrorCode, hint?: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new AppError(code, `${file} cannot be read: ${(error as Error).message}`, { file }, { cause: error })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new AppError(code, `${file} is not valid JSON: ${(error as Error).message}${hint === undefined ? '' : `; ${hint}`}`, { file }, { cause: error })
  }
}
