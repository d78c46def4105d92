// Builds the RFC 5322 message for a message written in the UI (nodemailer's MailComposer), then the same checks as sendmail.
import MailComposer from 'nodemailer/lib/mail-composer'
import type { CallParsedArgs } from '../../shared/contract'
import { newMessageId, prepareMessage, type PreparedMessage } from './prepare'

export type ComposeInput = CallParsedArgs<'compose.send'>

export async function composeMessage(input: ComposeInput, options: { hostname: string; now: number; fromName?: string }): Promise<PreparedMessage> {
  const messageId = newMessageId(options.hostname, options.now)
  const composer = new MailComposer({
    from: options.fromName !== undefined ? { name: options.fromName, address: input.from } : input.from,
    to: input.to,
    cc: input.cc.length > 0 ? input.cc : undefined,
    subject: input.subject,
    text: input.text,
    messageId,
    date: new Date(options.now),
    textEncoding: 'quoted-printable',
    headers: { 'User-Agent': 'Mailroom' }
  })
  const raw = await composer.compile().build()
  return prepareMessage(raw, {
    hostname: options.hostname,
    sender: input.from,
    recipients: [...input.to, ...input.cc, ...input.bcc],
    extractRecipients: false,
    ignoreDots: true,
    now: options.now
  })
}
