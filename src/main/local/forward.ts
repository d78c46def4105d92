// ~/.forward (and :include: files): parsing its targets, and the safety check that decides whether it may be obeyed at all.
// A .forward that someone else could have written (wrong owner, group/world-writable, or in such a directory without the sticky bit) is ignored.
import { stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { tokenizeTargets, type RuleLineError, type RuleTarget } from './rule-tokens'

export interface ParsedForward {
  targets: RuleTarget[]
  errors: RuleLineError[]
}

/** Parses a .forward or :include: file: targets separated by commas or lines; lines whose first non-blank is # are comments. */
export function parseForward(text: string, file: string): ParsedForward {
  const targets: RuleTarget[] = []
  const errors: RuleLineError[] = []
  text.split(/\r?\n/).forEach((physical, index) => {
    if (/^\s*#/.test(physical) || physical.trim() === '') return
    const result = tokenizeTargets(physical, index + 1, file, true)
    targets.push(...result.targets)
    errors.push(...result.errors)
  })
  return { targets, errors }
}

export interface ForwardSafety {
  safe: boolean
  /** Why it is unsafe (a sentence fragment: "is world-writable (mode 0666)"); null when safe. */
  reason: string | null
  /** The file's owner, when it could be read. */
  ownerUid: number | null
}

const octal = (mode: number): string => '0' + (mode & 0o7777).toString(8).padStart(3, '0')

/**
 * Whether a .forward/:include: file may be obeyed: a regular file, owned by `expectedUid` or root (null: any owner),
 * not group- or world-writable, in a directory that is not group- or world-writable unless it has the sticky bit.
 * A file that cannot be stat'ed is unsafe, with the reason.
 */
export async function checkForwardSafety(path: string, expectedUid: number | null): Promise<ForwardSafety> {
  let info
  try {
    info = await stat(path)
  } catch (error) {
    return { safe: false, reason: `cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, ownerUid: null }
  }
  const unsafe = (reason: string): ForwardSafety => ({ safe: false, reason, ownerUid: info.uid })
  if (!info.isFile()) return unsafe('is not a regular file')
  if (expectedUid !== null && info.uid !== expectedUid && info.uid !== 0) return unsafe(`is owned by uid ${info.uid}, not by its user (uid ${expectedUid}) or root`)
  if ((info.mode & 0o022) !== 0) return unsafe(`is ${(info.mode & 0o002) !== 0 ? 'world' : 'group'}-writable (mode ${octal(info.mode)})`)
  const dir = dirname(path)
  try {
    const dirInfo = await stat(dir)
    if ((dirInfo.mode & 0o022) !== 0 && (dirInfo.mode & 0o1000) === 0) {
      return unsafe(`is in ${dir}, a ${(dirInfo.mode & 0o002) !== 0 ? 'world' : 'group'}-writable directory without the sticky bit (mode ${octal(dirInfo.mode)})`)
    }
  } catch (error) {
    return unsafe(`is in a directory that cannot be examined (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  return { safe: true, reason: null, ownerUid: info.uid }
}
