// Schemas shared by every part of the IPC contract (contract.ts and its contract-*.ts sections).
import { z } from 'zod'
import { checkAddress } from './address'

export const emailAddress = z.string().trim().superRefine((value, ctx) => {
  const check = checkAddress(value)
  if (!check.ok) ctx.addIssue({ code: 'custom', message: `"${value}" is not a valid address: ${check.reason}` })
})

/** A call without arguments. */
export const empty = z.object({}).strict()
