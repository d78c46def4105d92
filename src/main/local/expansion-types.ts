// What expanding a local recipient yields (aliases → ~/.forward → mailbox): used by local delivery, `sendmail -bv` and the rules editor's preview.
// Written by hand (no library models sendmail's alias/.forward semantics); see local/expand.ts.

/** Where one copy of the message finally goes. */
export type DeliveryTarget =
  /** The Maildir of a local user (MAILROOM_HOME/mail/<user>/Maildir). */
  | { kind: 'mailbox'; user: string }
  /** "|command": run with the message on stdin, for (and with the environment of) this local user. */
  | { kind: 'program'; command: string; user: string }
  /** "/path": appended in mbox format, with locking. */
  | { kind: 'file'; path: string; user: string }
  /** An address that is not local: queued again as a new message (envelope sender kept). */
  | { kind: 'remote'; address: string }

/** One step of the way from the original address to a target, for the preview and for logs. */
export interface ExpansionStep {
  /** aliases: etc/aliases line; forward: a user's .forward; include: a :include: file; user: the local user itself. */
  source: 'aliases' | 'forward' | 'include' | 'user'
  /** The file the step came from ('' for source user). */
  file: string
  /** 1-based line of the entry that made this step (the first line of a continued entry); 0 for source user. */
  line: number
  /** The address (or alias name / user) expanded at this step. */
  from: string
  /** What it expanded to at this step, as written in the file. */
  to: string
}

export interface ExpandedTarget {
  target: DeliveryTarget
  /** From the original recipient to this target, in order. Empty when the recipient is a user with no .forward. */
  via: ExpansionStep[]
}

export type ExpansionProblemKind = 'unknown-user' | 'loop' | 'too-deep' | 'syntax' | 'unsafe-forward' | 'unreadable'

export interface ExpansionProblem {
  /** The address whose expansion failed. */
  address: string
  kind: ExpansionProblemKind
  /** One sentence a person understands, e.g. "aliases line 12: www → webmaster → www is a loop". */
  message: string
  /** True: bounce (5.x.x); false: defer (4.x.x, e.g. an unreadable file). */
  permanent: boolean
  /** Enhanced status code for the DSN: 5.1.1 unknown user, 5.4.6 routing loop, 5.3.5 too deep, 4.3.0 unreadable... */
  enhanced: string
  via: ExpansionStep[]
}

export interface Expansion {
  /** The recipient as asked for (lower-cased local part, domain as given). */
  recipient: string
  targets: ExpandedTarget[]
  problems: ExpansionProblem[]
  /** Not fatal: a stale aliases database, an unsafe .forward that was ignored (delivery falls back to the mailbox)... */
  warnings: string[]
}

export interface Expander {
  /** Expands a recipient whose domain is local (or an unqualified name). Never throws for bad files: problems/warnings say it. */
  expand(recipient: string): Promise<Expansion>
}
