// config.json keys of local delivery: local users, .forward, program deliveries, loop limits (section "local").
import { z } from 'zod'
import { duration, size } from './units'

/** A Unix-style login name: what may appear left of @ for a local mailbox. */
export const localUserName = z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, 'a user name: letters, digits, dot, dash or underscore, starting with a letter or underscore')

const localUser = z.strictObject({
  name: localUserName,
  /** Home directory (absolute): where ~/.forward is read from. */
  home: z.string().regex(/^\//, 'an absolute path'),
  /** Path of this user's .forward; default <home>/<local.forwardFile>. */
  forward: z.string().regex(/^\//, 'an absolute path').optional(),
  /** Numeric uid the .forward must be owned by (default: the uid of the home directory's owner). */
  uid: z.number().int().min(0).optional(),
  /** More addresses of this user (out-of-office: mail to these counts as "to me", and is never answered). */
  addresses: z.array(z.string()).default([])
})

export const localSettings = z.strictObject({
  /** Local users besides the OS user running Mailroom (who is always one, home $HOME). */
  users: z.array(localUser).default([]),
  /** File name of the forward file inside each user's home. */
  forwardFile: z.string().min(1).default('.forward'),
  /** Programs run by "|command" (aliases, .forward): wall-clock limit and bytes of output kept. */
  programTimeout: duration.prefault('60s'),
  programOutputLimit: size.prefault('64k'),
  /** Too many Received: lines = a mail loop (Postfix hopcount_limit). */
  maxReceived: z.number().int().min(5).max(500).default(50),
  /** Nesting limit of alias/.forward/:include: expansion. */
  expansionDepth: z.number().int().min(1).max(100).default(20)
}).prefault({})
export type LocalSettings = z.output<typeof localSettings>
