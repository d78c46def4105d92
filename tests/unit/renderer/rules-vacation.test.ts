// The out-of-office form's own checks before vacation.save: days, reply text, subject line breaks, the period and addresses.
import { describe, expect, it } from 'vitest'
import { ruleFromForm, type VacationForm } from '../../../src/renderer/src/stores/vacation'

const form: VacationForm = { subject: 'Auto: %s', body: 'Away.', days: '7', addresses: '', startsAt: '', endsAt: '' }

describe('ruleFromForm', () => {
  it('turns a good form into the rule, with the period in ms and the addresses split', () => {
    const start = new Date('2026-12-01T08:00').getTime()
    expect(ruleFromForm({ ...form, addresses: 'me@example.org, me@work.test', startsAt: '2026-12-01T08:00' })).toEqual({
      rule: { subject: 'Auto: %s', body: 'Away.', days: 7, addresses: ['me@example.org', 'me@work.test'], startsAt: start, endsAt: null }
    })
  })

  it('names the field and the reason for each bad value', () => {
    expect(ruleFromForm({ ...form, days: '0' })).toMatchObject({ field: 'days' })
    expect(ruleFromForm({ ...form, days: '2.5' })).toMatchObject({ field: 'days' })
    expect(ruleFromForm({ ...form, body: '  ' })).toMatchObject({ field: 'body', message: 'Write the reply text' })
    expect(ruleFromForm({ ...form, subject: 'a\nb' })).toMatchObject({ field: 'subject' })
    expect(ruleFromForm({ ...form, startsAt: 'not a date' })).toMatchObject({ field: 'startsAt' })
    expect(ruleFromForm({ ...form, startsAt: '2026-12-02T08:00', endsAt: '2026-12-01T08:00' })).toMatchObject({ field: 'endsAt', message: 'The end must come after the start' })
  })
})
