// Local users: the OS user always, configured users after it, a config entry overriding the OS user's home, case-insensitive lookup.
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/main/config/load'
import { findLocalUser, localUsers, systemUser } from '../../../src/main/local/users'

const system = { name: 'alice', home: '/home/alice', uid: 1000 }

describe('localUsers', () => {
  it('is the OS user alone by default, with <home>/.forward and its uid; root and postmaster are not users', () => {
    const config = parseConfig({})
    expect(localUsers(config, system)).toEqual([{ name: 'alice', home: '/home/alice', forwardPath: '/home/alice/.forward', uid: 1000, addresses: [] }])
    expect(findLocalUser(config, 'root', system)).toBeUndefined()
    expect(findLocalUser(config, 'postmaster', system)).toBeUndefined()
    expect(findLocalUser(config, 'ALICE', system)?.name).toBe('alice')
  })

  it('adds configured users (forward file name from local.forwardFile, uid null when not given) and lets an entry override the OS user', () => {
    const config = parseConfig({
      local: {
        forwardFile: '.mailforward',
        users: [
          { name: 'Bob', home: '/srv/bob', addresses: ['bob@work.example'] },
          { name: 'alice', home: '/data/alice', forward: '/etc/forwards/alice' },
          { name: 'bob', home: '/elsewhere' }
        ]
      }
    })
    expect(localUsers(config, system)).toEqual([
      { name: 'alice', home: '/data/alice', forwardPath: '/etc/forwards/alice', uid: 1000, addresses: [] },
      { name: 'bob', home: '/srv/bob', forwardPath: '/srv/bob/.mailforward', uid: null, addresses: ['bob@work.example'] }
    ])
  })

  it('takes the OS user from the process, home from $HOME', () => {
    const me = systemUser({ HOME: '/tmp/somewhere' })
    expect(me.home).toBe('/tmp/somewhere')
    expect(me.name).toBe(me.name.toLowerCase())
    expect(me.uid).toBe(process.getuid?.() ?? null)
  })
})
