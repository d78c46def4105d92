// Senders whose remote content (images, styles) the user allowed: MAILROOM_HOME/etc/remote-content.json, written atomically.
import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../fsutil/atomic-write'

export class RemoteContentList {
  private cached: Set<string> | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(private readonly file: string) {}

  private async load(): Promise<Set<string>> {
    if (this.cached !== null) return this.cached
    let senders: string[] = []
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'))
      const list = (parsed as { senders?: unknown }).senders
      if (Array.isArray(list)) senders = list.filter((s): s is string => typeof s === 'string')
    } catch {
      // Missing or damaged: nobody is allowed (the safe default); the next allow() rewrites the file.
    }
    this.cached = new Set(senders.map((s) => s.toLowerCase()))
    return this.cached
  }

  async allowed(sender: string | undefined): Promise<boolean> {
    if (sender === undefined || sender === '') return false
    return (await this.load()).has(sender.toLowerCase())
  }

  async allow(sender: string): Promise<void> {
    const set = await this.load()
    set.add(sender.toLowerCase())
    const text = `${JSON.stringify({ senders: [...set].sort() }, null, 2)}\n`
    this.writing = this.writing.then(async () => {
      await writeFileAtomic(this.file, text, { mode: 0o600, createDir: true })
    })
    await this.writing
  }
}
