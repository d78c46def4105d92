// The account → MSP link: an account's addresses and identities use its submission server as their smart host.
import { describe, expect, it } from 'vitest'
import { accountHop, accountIdForSender, accountRouteFor } from '../../../src/main/accounts/route'
import type { AccountConfig } from '../../../src/main/config/schema'

const work: AccountConfig = {
  id: 'work', email: 'me@work.test', imap: { host: 'imap.work.test', port: 993, security: 'tls', user: 'me' },
  smtp: { host: 'smtp.work.test', port: 587, security: 'starttls' }, identities: [{ email: 'sales@work.test', name: 'Sales' }]
}
const plain: AccountConfig = { id: 'home', email: 'me@home.test', imap: { host: 'imap.home.test', port: 993, security: 'tls', user: 'me' } }

describe('account routes', () => {
  it('send mail from the account address and its identities through its submission server, logging in as the account', () => {
    const config = { accounts: [work, plain], identities: [] }
    const route = accountRouteFor(config, 'Sales@Work.test')
    expect(route).toEqual({
      name: 'account:work', identity: 'sales@work.test',
      hops: [{ type: 'smarthost', host: 'smtp.work.test', port: 587, security: 'starttls', auth: { user: 'me', method: 'PLAIN', accountId: 'work' } }]
    })
    expect(accountRouteFor(config, 'me@work.test')?.hops[0]).toBe(route?.hops[0]) // one stable hop per account
    expect(accountHop(work)).toBe(route?.hops[0])
  })

  it('leave the decision to routes.ts without smtp settings, for unknown senders and when identities[] names the address', () => {
    expect(accountRouteFor({ accounts: [work, plain], identities: [] }, 'me@home.test')).toBeNull()
    expect(accountRouteFor({ accounts: [work], identities: [] }, 'x@else.test')).toBeNull()
    expect(accountRouteFor({ accounts: [work], identities: [{ email: 'me@work.test', route: 'default' }] }, 'me@work.test')).toBeNull()
    expect(accountRouteFor({ accounts: [work], identities: [] }, '')).toBeNull()
  })

  it('name the account whose Sent mailbox gets the copy, identities included', () => {
    expect(accountIdForSender({ accounts: [work] }, 'sales@work.test')).toBe('work')
    expect(accountIdForSender({ accounts: [work] }, 'nobody@work.test')).toBeNull()
  })
})
