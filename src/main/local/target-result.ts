// What delivering one local target (mailbox, file, program, remote forward) came to: the pieces of a recipient's outcome.

export type TargetResult =
  /** where: the file written (for the log only), e.g. the Maildir file's path. */
  | { status: 'sent'; text: string; where?: string }
  | { status: 'deferred' | 'failed'; enhanced: string; text: string; human: string }

/** A temporary (4.x.x) or permanent (5.x.x) failure, by its enhanced code. */
export function targetFailure(enhanced: string, text: string, human: string): TargetResult {
  return { status: enhanced.startsWith('4.') ? 'deferred' : 'failed', enhanced, text, human }
}

/** Errno → enhanced code of a file or mailbox that cannot be written (Postfix mbox_dsn): full disk and transient trouble defer. */
export function fileErrorEnhanced(errno: string | undefined): string {
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return '4.2.2'
  if (errno === 'EAGAIN' || errno === 'ESTALE' || errno === 'EIO' || errno === 'EMFILE' || errno === 'ENFILE' || errno === 'EBUSY' || errno === 'EINTR') return '4.2.0'
  return '5.2.0'
}

/** The message with LF line ends (mbox files and programs get UNIX text, as from Postfix local(8)). */
export function toUnixText(data: Buffer): Buffer {
  return data.includes('\r\n') ? Buffer.from(data.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : data
}
