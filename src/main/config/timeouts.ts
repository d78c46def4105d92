// Every timeout of the program, in one place (milliseconds).

/** DNS: one query to one server, and the number of tries per server. */
export const DNS_QUERY_TIMEOUT_MS = 5_000
export const DNS_TRIES = 2

/** SMTP client (RFC 5321 §4.5.3.2 gives the classic minimums; ours are shorter for a desktop). */
export const SMTP_CONNECT_TIMEOUT_MS = 30_000
export const SMTP_GREETING_TIMEOUT_MS = 60_000
export const SMTP_SOCKET_TIMEOUT_MS = 120_000
/** Time for the server's reply after the final dot (RFC 5321 §4.5.3.2.6 says 10 min). */
export const SMTP_DATA_TIMEOUT_MS = 600_000

/** IMAP client. */
export const IMAP_CONNECT_TIMEOUT_MS = 20_000
export const IMAP_GREETING_TIMEOUT_MS = 16_000
export const IMAP_SOCKET_TIMEOUT_MS = 300_000

/** Browser-mode WebSocket: how long a page may take to authenticate before it is dropped. */
export const WS_AUTH_TIMEOUT_MS = 10_000

/** Control socket requests from the CLI to a running daemon. */
export const CONTROL_REQUEST_TIMEOUT_MS = 5_000
/** How long `sendmail -q` waits for a running daemon's queue run. */
export const CONTROL_FLUSH_TIMEOUT_MS = 30 * 60_000

/** Direct delivery's connection pool: an idle connection to an MX is closed after this long (Postfix caches 2 s). */
export const SMTP_POOL_IDLE_MS = 5_000
/** A pooled connection is not reused once it is this old (Postfix's smtp_connection_reuse_time_limit). */
export const SMTP_POOL_MAX_AGE_MS = 300_000

/** How often the desktop shell asks the OS whether the network is up (Electron net.isOnline). */
export const NETWORK_POLL_MS = 15_000

/** Preflight (mailroom check-route): how long a test connection to port 25 or a smart host may take to open. */
export const PREFLIGHT_CONNECT_TIMEOUT_MS = 5_000
/** Preflight: the smart host's greeting and EHLO answer together. */
export const PREFLIGHT_SMTP_TIMEOUT_MS = 10_000

/** ManageSieve client (RFC 5804, vacation upload): opening the connection, the greeting, and each command's response. */
export const MANAGESIEVE_CONNECT_TIMEOUT_MS = 15_000
export const MANAGESIEVE_GREETING_TIMEOUT_MS = 15_000
export const MANAGESIEVE_COMMAND_TIMEOUT_MS = 30_000
/** Out-of-office: how long a delivery waits for another one holding the reply database's lock, and when a lock is stale. */
export const VACATION_DB_LOCK_WAIT_MS = 10_000
export const VACATION_DB_LOCK_STALE_MS = 60_000

/** Reading mail: reconnect backoff of an account's IMAP session (doubling from the first to the last). */
export const IMAP_RECONNECT_FIRST_MS = 1_000
export const IMAP_RECONNECT_MAX_MS = 60_000
/** Quiet time before the reading session starts IDLE on INBOX, and the longest single IDLE before it is renewed (RFC 2177: < 29 min). */
export const IMAP_AUTO_IDLE_DELAY_MS = 1_000
export const IMAP_MAX_IDLE_MS = 25 * 60_000
/** How long a reading call waits for the account's session to come online before answering from the cache or queueing. */
export const IMAP_ONLINE_WAIT_MS = 5_000
/** node:sqlite busy timeout of the mail cache (another process holds the write lock). */
export const CACHE_BUSY_TIMEOUT_MS = 5_000

/** Account connection test (accounts.test): opening a TCP connection, the TLS handshake probe, and the whole login. */
export const ACCOUNT_TEST_CONNECT_TIMEOUT_MS = 8_000
export const ACCOUNT_TEST_TLS_TIMEOUT_MS = 8_000
export const ACCOUNT_TEST_LOGIN_TIMEOUT_MS = 20_000
/** Drafts: how long one IMAP APPEND of a draft may take before the draft stays pending for a later retry. */
export const DRAFT_APPEND_TIMEOUT_MS = 30_000
/** Local delivery to an mbox file: how long to wait for its dot-lock (Postfix: 20 attempts, 1 s apart). */
export const MBOX_LOCK_WAIT_MS = 20_000
/** A dot-lock (file.lock) older than this is stale and removed (Postfix stale_lock_time 500 s). */
export const MBOX_LOCK_STALE_MS = 500_000
/** Pause between two attempts at an mbox dot-lock. */
export const MBOX_LOCK_RETRY_MS = 200
/** After a "|command" delivery's shell exited, how long its output pipes may stay open (a background child) before they are closed. */
export const PROGRAM_OUTPUT_DRAIN_MS = 1_000

/** Loopback SMTP listener: an idle session is closed after this long (a person typing in telnet needs minutes). */
export const LISTENER_IDLE_TIMEOUT_MS = 300_000
/** Listener shutdown: how long a message being received or committed may take to get its reply. */
export const LISTENER_CLOSE_GRACE_MS = 10_000
/** Parsing one message in a worker (src/main/parse): past this the worker is killed and replaced, the call fails PARSE_FAILED. */
export const PARSE_TIMEOUT_MS = 20_000
/** How often a running app looks at the Local account's INBOX for new mail (two stat calls when nothing changed). */
export const LOCAL_MAILDIR_POLL_MS = 2_000
/** sendmail / vacation: how long the courtesy "kick" to a running daemon may take before the command exits anyway. */
export const DAEMON_KICK_TIMEOUT_MS = 1_000
