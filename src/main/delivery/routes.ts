// Route chains from config: which chain a sender uses (its identity's route, else "default"), and the start-up check.
import { AppError } from '../../shared/result'
import type { Config, RouteHop } from '../config/schema'

export const DEFAULT_ROUTE = 'default'

export interface SelectedRoute {
  name: string
  hops: RouteHop[]
  /** The identity whose route it is; undefined when the sender is not a configured identity. */
  identity?: string
}

/**
 * The route chain for an envelope sender: the identity with that address (case-insensitive), else routes.default.
 * The null sender <> (bounces) uses routes.default. Returns undefined only when validateRoutes would have refused the config.
 */
export function selectRoute(config: Pick<Config, 'routes' | 'identities'>, sender: string): SelectedRoute | undefined {
  const wanted = sender.trim().toLowerCase()
  const identity = wanted === '' ? undefined : config.identities.find((i) => i.email.toLowerCase() === wanted)
  const name = identity?.route ?? DEFAULT_ROUTE
  const hops = Object.hasOwn(config.routes, name) ? config.routes[name] : undefined
  if (hops === undefined) return undefined
  return identity === undefined ? { name, hops } : { name, hops, identity: identity.email }
}

/** Every problem of the routes/identities keys, as "key: reason" lines (empty when the config is usable). */
export function routeProblems(config: Pick<Config, 'routes' | 'identities'>): string[] {
  const problems: string[] = []
  const names = Object.keys(config.routes)
  if (!Object.hasOwn(config.routes, DEFAULT_ROUTE)) {
    problems.push(`routes.${DEFAULT_ROUTE}: missing; senders that are not listed in identities (and bounces) use it`)
  }
  config.identities.forEach((identity, index) => {
    if (!Object.hasOwn(config.routes, identity.route)) {
      const known = names.length === 0 ? 'none is defined' : `defined: ${names.join(', ')}`
      problems.push(`identities.${index}.route: "${identity.route}" (for ${identity.email}) is not a route (${known})`)
    }
  })
  for (const [name, hops] of Object.entries(config.routes)) {
    hops.forEach((hop, index) => {
      if (hop.type !== 'smarthost') return
      if (hop.security === 'none' && !isLoopbackHost(hop.host)) {
        problems.push(`routes.${name}.${index}.security: "none" (no encryption, login in plaintext) is only allowed for a smart host on this machine (localhost, 127.x.y.z, ::1)`)
      }
      if (hop.auth === undefined) return
      const key = `routes.${name}.${index}.auth`
      const method = hop.auth.method ?? 'PLAIN'
      if (method === 'XOAUTH2' && hop.auth.accountId === undefined) {
        problems.push(`${key}: XOAUTH2 needs accountId (the account whose sign-in gives the token)`)
      }
      if (method !== 'XOAUTH2' && hop.auth.password === undefined && hop.auth.accountId === undefined) {
        problems.push(`${key}: no password for ${hop.auth.user} (set password, or accountId to use that account's stored password)`)
      }
    })
  }
  return problems
}

/** Called once at start-up: refuses a configuration whose routes cannot work, naming each key (CONFIG_INVALID, exit 78). */
export function validateRoutes(config: Pick<Config, 'routes' | 'identities'>, source = 'config.json'): void {
  const problems = routeProblems(config)
  if (problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `${source} is invalid: ${problems.join('; ')}`, { file: source, problems })
  }
}

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '')
  return h === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::1' || h === '[::1]'
}
