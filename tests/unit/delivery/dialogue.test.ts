// The dialogue tracker: EHLO extensions, the TLS handshake window, phases and RCPT replies.
import { describe, expect, it } from 'vitest'
import { Dialogue } from '../../../src/main/delivery/dialogue'

describe('Dialogue', () => {
  it('keeps the extensions of the last EHLO reply, keywords upper-cased with their parameters', () => {
    const d = new Dialogue()
    d.connected()
    d.server('220 mx.test ESMTP')
    d.client('EHLO client.test')
    d.server('250-mx.test\n250-PIPELINING\n250-SIZE 10240000\n250-starttls\n250 8BITMIME')
    expect([...d.extensions]).toEqual([['PIPELINING', ''], ['SIZE', '10240000'], ['STARTTLS', ''], ['8BITMIME', '']])
    d.client('STARTTLS')
    d.server('220 2.0.0 Ready to start TLS')
    expect(d.tlsPending).toBe(true)
    d.client('EHLO client.test')
    expect(d.tlsPending).toBe(false)
    d.server('250-mx.test\n250 SIZE 100')
    expect([...d.extensions]).toEqual([['SIZE', '100']])
  })

  it('has no extensions after HELO, and none when EHLO is refused', () => {
    const d = new Dialogue()
    d.connected()
    d.server('220 mx.test')
    d.client('EHLO client.test')
    d.server('502 5.5.2 Error: command not recognized')
    expect(d.extensions.size).toBe(0)
    d.client('HELO client.test')
    d.server('250 mx.test')
    expect(d.extensions.size).toBe(0)
  })

  it('does not count a refused STARTTLS as a handshake in progress', () => {
    const d = new Dialogue()
    d.connected()
    d.server('220 mx.test')
    d.client('STARTTLS')
    d.server('454 4.7.0 TLS not available')
    expect(d.tlsPending).toBe(false)
  })

  it('pairs pipelined RCPT replies with their addresses and notices the 354', () => {
    const started: string[] = []
    const d = new Dialogue({ dataStarted: () => started.push('354') })
    d.connected()
    d.server('220 mx.test')
    for (const c of ['MAIL FROM:<a@x.test>', 'RCPT TO:<b@y.test>', 'RCPT TO:<c@y.test>', 'DATA']) d.client(c)
    expect(d.phase).toBe('mail')
    for (const r of ['250 ok', '250 ok', '550 5.1.1 no', '354 go']) d.server(r)
    expect(d.mailAccepted).toBe(true)
    expect([...d.rcptReplies]).toEqual([['b@y.test', '250 ok'], ['c@y.test', '550 5.1.1 no']])
    expect(d.dataStarted).toBe(true)
    expect(d.phase).toBe('dot')
    expect(started).toEqual(['354'])
  })
})
