// Loop checks of local delivery: Delivered-To for the same address (any case, folded, in brackets) and the Received: hop limit.
import { describe, expect, it } from 'vitest'
import { checkLoops, deliveredToAddresses, headerEnd, headerFields, receivedCount } from '../../../src/main/local/loops'

const msg = (headers: string[], body = 'Body line\r\nDelivered-To: body@example.test\r\n'): Buffer => Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`)

describe('loops', () => {
  it('reads header fields only, unfolding continuation lines', () => {
    const data = msg(['Subject: a', '\tcontinued', 'Delivered-To: <Root@LocalHost>'])
    expect(headerFields(data)).toEqual([['subject', 'a continued'], ['delivered-to', '<Root@LocalHost>']])
    expect(deliveredToAddresses(data)).toEqual(new Set(['root@localhost']))
    expect(headerEnd(Buffer.from('\r\nbody'))).toBe(0)
    expect(headerEnd(Buffer.from('A: b\nC: d\n\nbody'))).toBe(10)
    expect(headerEnd(Buffer.from('A: b'))).toBe(4)
  })

  it('finds a Delivered-To for one of the addresses, case-insensitively, and names it', () => {
    const data = msg(['Delivered-To: WWW@localhost', 'Subject: x'])
    expect(checkLoops(data, ['root@localhost', 'www@localhost'], 50)).toMatchObject({ enhanced: '5.4.6', text: 'mail forwarding loop for www@localhost' })
    expect(checkLoops(data, ['root@localhost'], 50)).toBeNull()
  })

  it('ignores Delivered-To lines in the body', () => {
    expect(checkLoops(msg(['Subject: x']), ['body@example.test'], 50)).toBeNull()
  })

  it('counts Received: fields and bounces past the limit (hop count exceeded), not at it', () => {
    const received = (n: number): string[] => Array.from({ length: n }, (_, i) => `Received: from h${i} by x; Wed, 25 Nov 2026 10:00:00 +0000`)
    expect(receivedCount(msg(received(3)))).toBe(3)
    expect(checkLoops(msg(received(5)), ['a@b'], 5)).toBeNull()
    expect(checkLoops(msg(received(6)), ['a@b'], 5)).toMatchObject({ enhanced: '5.4.6', text: expect.stringMatching(/^hop count exceeded - possible mail loop \(6 Received: headers, limit 5\)$/) })
  })
})
