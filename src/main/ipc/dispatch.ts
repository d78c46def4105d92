// Validates every IPC call against the contract and runs its handler; the only way a transport reaches a service.
import { calls, isCallName, type CallName, type CallParsedArgs, type CallResult } from '../../shared/contract'
import { AppError, fail, ok, type Result } from '../../shared/result'
import type { Logger } from '../log/logger'

export type Handlers = { [N in CallName]: (args: CallParsedArgs<N>) => Promise<CallResult<N>> }

export type Dispatch = (name: unknown, args: unknown) => Promise<Result<unknown>>

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; ')
}

export function createDispatcher(handlers: Handlers, log?: Logger): Dispatch {
  return async (name, rawArgs) => {
    if (!isCallName(name)) return fail('UNKNOWN_CALL', `There is no call named ${JSON.stringify(name)}`)
    const spec = calls[name]
    const parsed = spec.args.safeParse(rawArgs ?? {})
    if (!parsed.success) {
      return fail('INVALID_ARGUMENT', describeIssues(parsed.error.issues), { call: name, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) })
    }
    try {
      const handler = handlers[name] as (args: unknown) => Promise<unknown>
      const value = await handler(parsed.data)
      return ok(value)
    } catch (error) {
      if (error instanceof AppError) return { ok: false, error: error.toInfo() }
      log?.error('ipc', `${name} failed: ${(error as Error)?.stack ?? String(error)}`)
      return fail('INTERNAL', `Internal error in ${name}: ${(error as Error)?.message ?? String(error)}`)
    }
  }
}
