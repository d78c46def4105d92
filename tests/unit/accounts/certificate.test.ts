// The TLS step's sentences: which name and issuer the certificate shows and what is wrong with it.
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import type { DetailedPeerCertificate } from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { describeCertificate } from '../../../src/main/accounts/tls-probe'
import { selfSignedCert } from '../../support/files'
import { tempDir } from '../queue/helpers'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function certFor(cn: string): Promise<DetailedPeerCertificate> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  const { cert } = await selfSignedCert(join(dir, 'c.pem'), join(dir, 'k.pem'), cn)
  const { readFile } = await import('node:fs/promises')
  return new X509Certificate(await readFile(cert)).toLegacyObject() as DetailedPeerCertificate
}

describe('certificate sentences', () => {
  it('name a self-signed certificate and its subject', async () => {
    const cert = await certFor('mail.example.test')
    const said = describeCertificate('mail.example.test', cert, 'DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(said.trusted).toBe(false)
    expect(said.detail).toMatch(/certificate for mail\.example\.test is self-signed \(issued by mail\.example\.test itself\)/)
  })

  it('say which name the certificate is for when it is not the server name', async () => {
    const cert = await certFor('other.example.test')
    expect(describeCertificate('imap.example.test', cert, null)).toEqual({
      trusted: false, detail: expect.stringMatching(/is for other\.example\.test, not for imap\.example\.test \(issued by other\.example\.test\): check the server name/)
    })
  })

  it('name the untrusted issuer, an expiry, and accept a good certificate', async () => {
    const cert = await certFor('imap.example.test')
    expect(describeCertificate('imap.example.test', cert, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY').detail).toMatch(/issued by imap\.example\.test, an authority this system does not trust/)
    expect(describeCertificate('imap.example.test', cert, 'CERT_HAS_EXPIRED').detail).toMatch(/expired on/)
    expect(describeCertificate('imap.example.test', cert, null)).toMatchObject({ trusted: true, detail: expect.stringMatching(/^Secure connection/) })
  })
})
