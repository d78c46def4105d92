// `mailroom vacation` arguments: -d days (at least 1), -a addresses, exactly one user.
import { describe, expect, it } from 'vitest'
import { parseVacationArgs } from '../../../src/main/cli/vacation'

describe('parseVacationArgs', () => {
  it('reads -d, -a (repeatable, attached or separate) and the user', () => {
    expect(parseVacationArgs(['alice'])).toEqual({ user: 'alice', addresses: [] })
    expect(parseVacationArgs(['-d', '3', '-a', 'A@Work.test', '-ab@x.test', 'alice'])).toEqual({ user: 'alice', days: 3, addresses: ['a@work.test', 'b@x.test'] })
    expect(parseVacationArgs(['-d14', '--', 'alice'])).toEqual({ user: 'alice', days: 14, addresses: [] })
  })

  it.each([
    [[], /name the user/],
    [['alice', 'bob'], /one user only/],
    [['-d', '0', 'alice'], /at least 1/],
    [['-d', 'week', 'alice'], /whole number/],
    [['-d'], /needs a value/],
    [['-x', 'alice'], /unknown option -x/],
    [['../root'], /not a local user name/]
  ])('%j is refused: %s', (argv, problem) => {
    expect(() => parseVacationArgs(argv)).toThrow(problem)
  })
})
