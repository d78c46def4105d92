// Shared test setups: the remote MX world (dnsmasq zone + Postfix on 127.0.0.2:25) and a `mailroom serve` with a connected client.
import { standardZone, startDns, type DnsInstance } from './dnsmasq'
import { startServe, type ServeProcess } from './mailroom'
import { startPostfix, type PostfixInstance } from './postfix'
import { connectWs, type WsClient } from './ws-client'

export interface RemoteMx {
  dns: DnsInstance
  postfix: PostfixInstance
}

/** remote.test and friends resolve through dnsmasq to a real Postfix MX on 127.0.0.2:25. */
export async function startRemoteMx(access: Record<string, string> = {}): Promise<RemoteMx> {
  const dns = await startDns({ records: standardZone('127.0.0.2') })
  const postfix = await startPostfix({ address: '127.0.0.2', domains: ['remote.test'], access })
  return { dns, postfix }
}

export interface UiSession {
  serve: ServeProcess
  client: WsClient
  close(): Promise<void>
}

/** Browser mode as a real process, with a WebSocket client speaking the IPC contract to it. */
export async function openUiSession(home: string): Promise<UiSession> {
  const serve = await startServe(home)
  const client = await connectWs(serve.origin, serve.token)
  return {
    serve,
    client,
    async close() {
      client.close()
      await serve.stop()
    }
  }
}
