// The stored out-of-office rule (validation, atomic save with .bak) and the reply it produces (RFC 3834 §3 fields).
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { pathsFor, type Paths } from '../../../src/main/config/paths'
import { composeReply, replyReferences, replySubject } from '../../../src/main/vacation/compose-reply'
import { readHeaders } from '../../../src/main/vacation/message-headers'
import { defaultUserAddresses, loadVacationRule, saveVacationRule, vacationRulePath } from '../../../src/main/vacation/rule'
import { AppError } from '../../../src/shared/result'

describe('vacation rule file', () => {
  let home: string
  let paths: Paths
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'mailroom-vacation-rule-'))
    paths = pathsFor(home)
  })
  afterEach(() => rm(home, { recursive: true, force: true }))

  it('no file: no rule', async () => {
    expect(await loadVacationRule(paths, 'alice')).toBeNull()
  })

  it('saves with defaults filled in, loads it back, keeps the previous version as .bak', async () => {
    const saved = await saveVacationRule(paths, 'alice', { body: 'Away.', subject: 'Auto: %s', days: 7, addresses: [], startsAt: null, endsAt: null })
    expect(saved).toMatchObject({ enabled: true, subject: 'Auto: %s', days: 7, from: null })
    expect(await loadVacationRule(paths, 'alice')).toEqual(saved)
    await saveVacationRule(paths, 'alice', { body: 'Away till Monday.', days: 3 })
    expect((await loadVacationRule(paths, 'alice'))?.body).toBe('Away till Monday.')
    const backup = JSON.parse(await readFile(vacationRulePath(paths, 'alice') + '.bak', 'utf8')) as { body: string }
    expect(backup.body).toBe('Away.')
  })

  it.each([
    [{ body: 'x', days: 0 }, /days/],
    [{ body: '' }, /body: write the reply text/],
    [{ body: 'x', subject: 'a\nb' }, /line breaks/],
    [{ body: 'x', addresses: ['not an address'] }, /addresses\.0/],
    [{ body: 'x', startsAt: 10, endsAt: 5 }, /end must come after the start/],
    [{ body: 'x', from: 'Alice <nobody>' }, /from/],
    [{ body: 'x', colour: 'red' }, /colour|Unrecognized/i]
  ])('refuses %j naming the field', async (rule, problem) => {
    const error = await saveVacationRule(paths, 'alice', rule as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('VACATION_RULE_INVALID')
    expect((error as AppError).message).toMatch(problem)
    expect(await loadVacationRule(paths, 'alice')).toBeNull()
  })

  it('a damaged file is an error, not "no rule"', async () => {
    await mkdir(join(paths.etc, 'vacation'), { recursive: true })
    await writeFile(vacationRulePath(paths, 'alice'), '{"body": ')
    await expect(loadVacationRule(paths, 'alice')).rejects.toThrow(/not valid JSON/)
  })

  it('refuses a user name that could escape the directory', async () => {
    await expect(loadVacationRule(paths, '../etc')).rejects.toThrow(/not a local user name/)
  })

  it('default addresses: user@hostname and local domains, configured extras, accounts only for the OS user', () => {
    const input = { user: 'alice', hostname: 'box.test', localDomains: ['home.test'], localUsers: [{ name: 'alice', addresses: ['Alice@Alias.test'] }, { name: 'bob', addresses: ['b@x.test'] }], accountEmails: ['alice@work.test'] }
    expect(defaultUserAddresses({ ...input, isSelf: true })).toEqual(['alice@box.test', 'alice@home.test', 'alice@alias.test', 'alice@work.test'])
    expect(defaultUserAddresses({ ...input, isSelf: false })).toEqual(['alice@box.test', 'alice@home.test', 'alice@alias.test'])
  })
})

describe('the reply', () => {
  const original = readHeaders([
    'Return-Path: <bob@remote.test>',
    'From: Bob <bob@remote.test>',
    'To: alice@mailroom.test',
    'Subject: =?UTF-8?Q?D=C3=A9jeuner?= on Friday',
    'Message-ID: <m2@remote.test>',
    'References: <m0@remote.test> <m1@remote.test>',
    '', 'body'
  ].join('\r\n'))

  it('subject: %s is the decoded original subject', () => {
    expect(replySubject('Auto: %s', 'Déjeuner on Friday')).toBe('Auto: Déjeuner on Friday')
    expect(replySubject('Away', 'x')).toBe('Away')
    expect(replySubject('Auto: %s', '')).toBe('Auto:')
  })

  it('References: the earlier chain plus the Message-ID; In-Reply-To the Message-ID', () => {
    expect(replyReferences(original)).toEqual({ inReplyTo: '<m2@remote.test>', references: ['<m0@remote.test>', '<m1@remote.test>', '<m2@remote.test>'] })
    expect(replyReferences(readHeaders('From: a@b.test\r\n\r\n'))).toEqual({ references: [] })
  })

  it('is from <>, to the envelope sender, auto-replied, threaded, UTF-8', async () => {
    const now = Date.UTC(2026, 10, 25, 12)
    const prepared = await composeReply({ original, to: 'bob@remote.test', from: 'Alice <alice@mailroom.test>', subject: 'Auto: %s', body: 'Je suis absente — à lundi.\n.\nAlice', hostname: 'mailroom.test', now })
    expect(prepared.sender).toBe('')
    expect(prepared.recipients).toEqual(['bob@remote.test'])
    const text = prepared.data.toString('utf8')
    const headers = readHeaders(prepared.data)
    const get = (name: string): string | undefined => headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value
    expect(get('Auto-Submitted')).toBe('auto-replied')
    expect(get('From')).toBe('Alice <alice@mailroom.test>')
    expect(get('To')).toBe('bob@remote.test')
    expect(get('In-Reply-To')).toBe('<m2@remote.test>')
    expect(get('References')).toBe('<m0@remote.test> <m1@remote.test> <m2@remote.test>')
    expect(prepared.subject).toBe('Auto: Déjeuner on Friday')
    expect(get('Message-ID')).toMatch(/@mailroom\.test>$/)
    expect(get('Content-Type')).toMatch(/text\/plain; charset=utf-8/i)
    expect(text).toMatch(/\r\n\r\n/)
    expect(text).not.toMatch(/[^\r]\n/)
  })
})

describe('sieveServerOf', () => {
  it('defaults to the IMAP host on 4190 with STARTTLS, keeping the TLS check; the sieve block wins', async () => {
    const { sieveServerOf } = await import('../../../src/main/vacation/sieve-target')
    const imap = { host: 'imap.example.test', user: 'alice', security: 'tls' as const, tls: { rejectUnauthorized: false } }
    expect(sieveServerOf({ imap }, 'pw')).toEqual({ host: 'imap.example.test', port: 4190, security: 'starttls', user: 'alice', password: 'pw', tls: { rejectUnauthorized: false } })
    expect(sieveServerOf({ imap: { ...imap, security: 'none', tls: undefined } }, 'pw')).toMatchObject({ security: 'none' })
    expect(sieveServerOf({ imap, sieve: { host: 'sieve.example.test', port: 5190, security: 'tls' } }, 'pw')).toMatchObject({ host: 'sieve.example.test', port: 5190, security: 'tls' })
  })
})
