// Finding the OS user behind a loopback client: /proc/net/tcp{,6} rows parsed by hand, and the real table for a real connection.
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { findPeerUid, parseProcAddress, parseProcNetTcp, peerUid } from '../../../src/main/listener/peer-uid'

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:09C4 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1161 1 0 100 0 0 10 0
   1: 0100007F:D431 0100007F:09C4 01 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0 20 4 30 10 -1
   2: 0100007F:09C4 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0 20 4 30 10 -1
   garbage line
`
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:D432 00000000000000000000000001000000:09C4 01 00000000:00000000 00:00000000 00000000  1001        0 1 1 0
   1: 0000000000000000FFFF00000100007F:D433 0000000000000000FFFF00000100007F:09C4 01 00000000:00000000 00:00000000 00000000  1002        0 1 1 0
`

describe('peer uid from /proc/net/tcp', () => {
  it('reads IPv4, IPv6 and IPv4-mapped addresses as the kernel writes them (words in host byte order)', () => {
    expect(parseProcAddress('0100007F:09C4')).toEqual({ address: '127.0.0.1', port: 2500 })
    expect(parseProcAddress('00000000000000000000000001000000:0019')).toEqual({ address: '::1', port: 25 })
    expect(parseProcAddress('0000000000000000FFFF00000100007F:0019')).toEqual({ address: '::ffff:127.0.0.1', port: 25 })
    expect(parseProcAddress('B80D0120000000000000000001000000:0019')).toEqual({ address: '2001:db8::1', port: 25 })
    expect(parseProcAddress('nonsense')).toBeNull()
  })

  it('takes the row whose local end is the client and whose remote end is us, not our own accepted socket', () => {
    const rows = parseProcNetTcp(TCP)
    expect(rows).toHaveLength(3)
    expect(findPeerUid(rows, { address: '127.0.0.1', port: 2500 }, { address: '127.0.0.1', port: 0xd431 })).toBe(1000)
    expect(findPeerUid(rows, { address: '127.0.0.1', port: 2500 }, { address: '127.0.0.1', port: 1 })).toBeNull()
    const rows6 = parseProcNetTcp(TCP6)
    expect(findPeerUid(rows6, { address: '::1', port: 2500 }, { address: '::1', port: 0xd432 })).toBe(1001)
    // A mapped client matches its plain IPv4 spelling (how Node reports it on a dual-stack socket varies).
    expect(findPeerUid(rows6, { address: '127.0.0.1', port: 2500 }, { address: '::ffff:127.0.0.1', port: 0xd433 })).toBe(1002)
  })

  it('returns null when /proc has no such file (not Linux)', async () => {
    expect(await peerUid({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }, '/nonexistent')).toBeNull()
  })

  it('shares reads between concurrent lookups, and a lookup never answers from a read older than itself', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mailroom-proc-'))
    try {
      await mkdir(join(root, 'net'))
      await writeFile(join(root, 'net', 'tcp'), TCP)
      const server = { address: '127.0.0.1', port: 2500 }
      const client = { address: '127.0.0.1', port: 0xd431 }
      const answers = await Promise.all(Array.from({ length: 50 }, () => peerUid(server, client, root)))
      expect(new Set(answers)).toEqual(new Set([1000]))
      // The socket changes hands (same four-tuple, another user): every later lookup sees the new owner.
      await writeFile(join(root, 'net', 'tcp'), TCP.replace('  1000        0 2222', '  4242        0 2222'))
      const later = await Promise.all(Array.from({ length: 20 }, () => peerUid(server, client, root)))
      expect(new Set(later)).toEqual(new Set([4242]))
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it.runIf(process.platform === 'linux')('finds our own uid for a connection from this process, and 65534 for one from a child running as nobody (root only)', async () => {
    const accepted: Socket[] = []
    const server = createServer((s) => accepted.push(s))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as { port: number }).port
    try {
      const { connect } = await import('node:net')
      const client = connect({ host: '127.0.0.1', port })
      await once(client, 'connect')
      while (accepted.length < 1) await new Promise((r) => setTimeout(r, 5))
      const ours = accepted[0] as Socket
      expect(await peerUid({ address: '127.0.0.1', port }, { address: ours.remoteAddress as string, port: ours.remotePort as number })).toBe(process.getuid?.())
      client.destroy()
      if (process.getuid?.() !== 0) return
      const child = spawn(process.execPath, ['-e', `const s=require('net').connect(${port},'127.0.0.1');setTimeout(()=>s.destroy(),3000)`], { uid: 65534, gid: 65534, stdio: 'ignore' })
      while (accepted.length < 2) await new Promise((r) => setTimeout(r, 5))
      const theirs = accepted[1] as Socket
      expect(await peerUid({ address: '127.0.0.1', port }, { address: theirs.remoteAddress as string, port: theirs.remotePort as number })).toBe(65534)
      child.kill()
    } finally {
      for (const s of accepted) s.destroy()
      server.close()
    }
  })
})
