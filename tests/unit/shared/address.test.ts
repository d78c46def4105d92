// Strict address checking: what SMTP accepts passes, what it would refuse gets a reason a person understands.
import { describe, expect, it } from 'vitest'
import { checkAddress, domainOf } from '../../../src/shared/address'

describe('checkAddress', () => {
  it.each([
    'alice@example.com',
    'first.last+tag@sub.example.co.uk',
    '"john doe"@example.com',
    'user@[127.0.0.1]',
    'user@[IPv6:::1]',
    "o'brien@example.ie",
    'jörg@bücher.de',
    'a@b'
  ])('accepts %s', (address) => {
    expect(checkAddress(address).ok).toBe(true)
  })

  it.each([
    ['', 'empty'],
    ['alice', 'no @'],
    ['@example.com', 'before @ is empty'],
    ['alice@', 'domain is missing'],
    ['al ice@example.com', 'need quoting'],
    ['alice..b@example.com', 'misplaced dots'],
    ['.alice@example.com', 'misplaced dots'],
    ['alice@exa mple.com', 'not valid'],
    ['alice@example..com', 'empty label'],
    ['alice@-example.com', 'not valid'],
    ['<alice@example.com>', 'angle brackets'],
    ['alice@example.com\r\nRCPT TO:<x@y>', 'line break'],
    ['a'.repeat(65) + '@example.com', 'longer than 64'],
    ['alice@[300.1.1.1]', 'not an IPv4'],
    ['alice@@example.com', 'need quoting']
  ])('refuses %j (%s)', (address, reason) => {
    const result = checkAddress(address)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toContain(reason)
  })

  it('gives the domain lower-cased for routing', () => {
    expect(domainOf('Bob@Remote.TEST')).toBe('remote.test')
  })
})
