// Which domains are delivered on this machine: the hostname, localhost, config localDomains and etc/local-host-names.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config/schema'

export const LOCAL_HOST_NAMES_FILE = 'local-host-names'

export interface LocalDomains {
  /** Lower-case domain names, without a trailing dot. */
  readonly names: ReadonlySet<string>
  has(domain: string): boolean
}

function normalise(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '')
}

/** Parses etc/local-host-names: one name per line, # comments and blank lines ignored. */
export function parseLocalHostNames(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '').map(normalise)
}

export function localDomainsFrom(names: Iterable<string>): LocalDomains {
  const set = new Set<string>()
  for (const name of names) if (name.trim() !== '') set.add(normalise(name))
  return { names: set, has: (domain) => set.has(normalise(domain)) }
}

/** The local domains for this configuration; a missing local-host-names file is not an error. */
export async function loadLocalDomains(config: Pick<Config, 'hostname' | 'localDomains'>, etcDir: string): Promise<LocalDomains> {
  let fileNames: string[] = []
  try {
    fileNames = parseLocalHostNames(await readFile(join(etcDir, LOCAL_HOST_NAMES_FILE), 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return localDomainsFrom([config.hostname, 'localhost', ...config.localDomains, ...fileNames])
}
