// The one table of error codes: every failure that crosses a boundary (IPC, CLI, listener) has a code here.
// `exit` is the sysexits(3) status the CLI uses; `temporary` says whether trying again later may succeed.

export const EX = {
  OK: 0,
  USAGE: 64,
  DATAERR: 65,
  NOINPUT: 66,
  NOUSER: 67,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CANTCREAT: 73,
  IOERR: 74,
  TEMPFAIL: 75,
  NOPERM: 77,
  CONFIG: 78
} as const

export const errorCodes = {
  INVALID_ARGUMENT: { exit: EX.USAGE, temporary: false, summary: 'A request argument is invalid' },
  UNKNOWN_CALL: { exit: EX.USAGE, temporary: false, summary: 'No such call in the IPC contract' },
  INVALID_ADDRESS: { exit: EX.USAGE, temporary: false, summary: 'An email address is not valid' },
  NO_RECIPIENTS: { exit: EX.USAGE, temporary: false, summary: 'The message has no recipients' },
  INVALID_MESSAGE: { exit: EX.DATAERR, temporary: false, summary: 'The message is not a valid RFC 5322 message' },
  CONFIG_INVALID: { exit: EX.CONFIG, temporary: false, summary: 'The configuration file is invalid' },
  QUEUE_FULL: { exit: EX.TEMPFAIL, temporary: true, summary: 'The outbox is full' },
  SPOOL_IO: { exit: EX.TEMPFAIL, temporary: true, summary: 'The outbox could not be written' },
  MAILBOX_IO: { exit: EX.TEMPFAIL, temporary: true, summary: 'The local mailbox could not be written' },
  QUEUE_BUSY: { exit: EX.TEMPFAIL, temporary: true, summary: 'Another queue runner is active' },
  INVALID_STATE: { exit: EX.UNAVAILABLE, temporary: false, summary: 'The item is not in a state that allows this operation' },
  NOT_FOUND: { exit: EX.NOINPUT, temporary: false, summary: 'The item does not exist' },
  ACCOUNT_NOT_FOUND: { exit: EX.CONFIG, temporary: false, summary: 'No such account' },
  IMAP_CONNECT: { exit: EX.TEMPFAIL, temporary: true, summary: 'The mail server could not be reached' },
  IMAP_AUTH: { exit: EX.NOPERM, temporary: false, summary: 'The mail server refused the login' },
  IMAP_ERROR: { exit: EX.TEMPFAIL, temporary: true, summary: 'The mail server reported an error' },
  UNAUTHORIZED: { exit: EX.NOPERM, temporary: false, summary: 'The caller is not allowed' },
  ELECTRON_MISSING: { exit: EX.UNAVAILABLE, temporary: false, summary: 'The Electron binary is not installed' },
  TRANSPORT_CLOSED: { exit: EX.TEMPFAIL, temporary: true, summary: 'The connection to the Mailroom backend was lost' },
  SECRET_STORE: { exit: EX.CONFIG, temporary: false, summary: 'The password store cannot be used safely' },
  SECRET_MISSING: { exit: EX.CONFIG, temporary: false, summary: 'No password is stored for this account' },
  MESSAGE_TOO_LARGE: { exit: EX.DATAERR, temporary: false, summary: 'The message is larger than the size limit' },
  RULES_IO: { exit: EX.CANTCREAT, temporary: true, summary: 'A rules file (aliases, .forward, out-of-office) could not be read or written' },
  VACATION_RULE_INVALID: { exit: EX.CONFIG, temporary: false, summary: 'The out-of-office rule file is invalid' },
  VACATION_DB_BUSY: { exit: EX.TEMPFAIL, temporary: true, summary: 'The out-of-office reply database is locked by another delivery' },
  SIEVE_CONNECT: { exit: EX.TEMPFAIL, temporary: true, summary: 'The ManageSieve server could not be reached' },
  SIEVE_TLS: { exit: EX.TEMPFAIL, temporary: true, summary: 'The ManageSieve server\'s TLS could not be used' },
  SIEVE_AUTH: { exit: EX.NOPERM, temporary: false, summary: 'The ManageSieve server refused the login' },
  SIEVE_ERROR: { exit: EX.UNAVAILABLE, temporary: false, summary: 'The ManageSieve server refused the command' },
  SIEVE_PROTOCOL: { exit: EX.TEMPFAIL, temporary: true, summary: 'The ManageSieve server broke the protocol (RFC 5804)' },
  CACHE_UNAVAILABLE: { exit: EX.UNAVAILABLE, temporary: false, summary: 'The mail cache needs node:sqlite (Node 22.13 or later)' },
  CACHE_IO: { exit: EX.IOERR, temporary: true, summary: 'The mail cache could not be read or written' },
  PARSE_FAILED: { exit: EX.DATAERR, temporary: false, summary: 'The message could not be parsed (too slow, too large or malformed)' },
  INTERNAL: { exit: EX.SOFTWARE, temporary: false, summary: 'Internal error' }
} as const satisfies Record<string, { exit: number; temporary: boolean; summary: string }>

export type ErrorCode = keyof typeof errorCodes

export const errorCodeNames = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value)
}
