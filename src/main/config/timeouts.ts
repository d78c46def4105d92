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
