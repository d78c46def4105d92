// IPC contract, accounts section: listing, adding, editing, removing accounts, discovery and connection tests.
import { z } from 'zod'
import { empty } from './contract-base'

export const accountSummary = z.object({ id: z.string(), email: z.string(), name: z.string().optional() })
export type AccountSummary = z.infer<typeof accountSummary>

export const accountCalls = {
  /** IMAP accounts first, then the built-in Local account (id "local"). */
  'accounts.list': { args: empty, result: z.array(accountSummary) }
} as const

export const accountEvents = {} as const
