// Formats the queue the way Postfix's mailq does (id, size, arrival time, sender; then each recipient with its last reply).
import type { OutboxMessage } from '../../shared/contract'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function arrival(ms: number): string {
  const d = new Date(ms)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Postfix marks the queue id: `*` active, `!` held; we add the frozen mark in words. */
function idMark(message: OutboxMessage): string {
  return message.state === 'hold' ? '!' : ''
}

export function formatMailq(messages: readonly OutboxMessage[]): string {
  const queued = messages.filter((m) => m.state === 'queued' || m.state === 'deferred' || m.state === 'hold')
  if (queued.length === 0) return 'Mail queue is empty\n'
  const lines = ['-Queue ID-            --Size-- ----Arrival Time---- -Sender/Recipient-------']
  let bytes = 0
  for (const m of queued) {
    bytes += m.size
    const id = (m.id + idMark(m)).padEnd(21)
    lines.push(`${id} ${String(m.size).padStart(8)} ${arrival(m.createdAt)}  ${m.sender === '' ? 'MAILER-DAEMON' : m.sender}`)
    if (m.state === 'hold') lines.push(`${' '.repeat(41)}*** held ***`)
    for (const r of m.recipients) {
      if (r.state === 'sent' || r.state === 'failed') continue
      if (r.lastReply !== null) lines.push(`${' '.repeat(40)} (${r.lastReply.human ?? r.lastReply.text})`)
      lines.push(`${' '.repeat(41)}${r.address}`)
    }
    lines.push('')
  }
  const kbytes = Math.ceil(bytes / 1024)
  lines.push(`-- ${kbytes} Kbytes in ${queued.length} Request${queued.length === 1 ? '' : 's'}.`)
  return lines.join('\n') + '\n'
}
