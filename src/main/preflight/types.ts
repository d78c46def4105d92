// Preflight types: one check as the contract describes it (src/shared/contract.ts routeCheck).
import type { RouteCheckReport } from '../../shared/contract'

export type RouteCheck = RouteCheckReport['checks'][number]
export type CheckStatus = RouteCheck['status']
