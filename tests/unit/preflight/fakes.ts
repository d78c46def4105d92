// Fakes for the preflight unit tests: a connector, reverse/TXT DNS and an EHLO prober answering from tables.
import type { Connector, PreflightDns, TcpProbeResult } from '../../../src/main/preflight/net'
import type { EhloProber, SmtpGreeting } from '../../../src/main/preflight/smarthost'

/** Connects when the address is in `open` (from `local`), otherwise fails with ECONNREFUSED or the given reason. */
export function fakeConnector(open: Record<string, string>, failures: Record<string, { reason: string; code: string }> = {}): Connector & { tried: string[] } {
  const tried: string[] = []
  const connect = async (host: string, port: number): Promise<TcpProbeResult> => {
    tried.push(`${host}:${port}`)
    const local = open[host]
    if (local !== undefined) return { ok: true, localAddress: local, ms: 3 }
    const failure = failures[host] ?? { reason: 'connection refused', code: 'ECONNREFUSED' }
    return { ok: false, ...failure }
  }
  return Object.assign(connect, { tried })
}

function dnsError(code: string, name: string): Error {
  return Object.assign(new Error(`queryX ${code} ${name}`), { code })
}

/** PTR and TXT answers from tables; a string answer is an error code (ENOTFOUND, ESERVFAIL…). */
export function fakeDns(ptr: Record<string, string[] | string>, txt: Record<string, string[] | string>): PreflightDns & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    async reverse(address) {
      asked.push(`PTR ${address}`)
      const answer = ptr[address] ?? 'ENOTFOUND'
      if (typeof answer === 'string') throw dnsError(answer, address)
      return answer
    },
    async resolve(name, rrtype) {
      asked.push(`${rrtype} ${name}`)
      if (rrtype !== 'TXT') throw dnsError('ENODATA', name)
      const answer = txt[name] ?? 'ENOTFOUND'
      if (typeof answer === 'string') throw dnsError(answer, name)
      return answer.map((record) => [record])
    }
  }
}

/** Answers EHLO with the given extensions, or fails with a reason. */
export function fakeEhlo(answer: string[] | Error): EhloProber & { calls: Parameters<EhloProber>[0][] } {
  const calls: Parameters<EhloProber>[0][] = []
  const probe = async (options: Parameters<EhloProber>[0]): Promise<SmtpGreeting> => {
    calls.push(options)
    if (answer instanceof Error) throw answer
    return { banner: '220 relay.test ESMTP', extensions: answer }
  }
  return Object.assign(probe, { calls })
}
