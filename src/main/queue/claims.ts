// Who is working on a message right now in this process: the runner delivering it, or a user operation changing it.
// One claim per message; the spool's seq check covers other processes, this covers "being delivered right now".

export type ClaimOwner = 'runner' | 'op'

interface Claim {
  owner: ClaimOwner
  done: Promise<void>
  release: () => void
}

export class MessageClaims {
  private readonly claims = new Map<string, Claim>()

  /** Claims `id` if nobody holds it; returns the release function, or null when it is taken. */
  tryClaim(id: string, owner: ClaimOwner): (() => void) | null {
    if (this.claims.has(id)) return null
    let release!: () => void
    const done = new Promise<void>((resolve) => {
      release = () => {
        if (this.claims.get(id) === claim) this.claims.delete(id)
        resolve()
      }
    })
    const claim: Claim = { owner, done, release }
    this.claims.set(id, claim)
    return release
  }

  /** Waits until `id` is free, then claims it. */
  async claim(id: string, owner: ClaimOwner): Promise<() => void> {
    for (;;) {
      const release = this.tryClaim(id, owner)
      if (release !== null) return release
      await this.claims.get(id)?.done
    }
  }

  ownerOf(id: string): ClaimOwner | null {
    return this.claims.get(id)?.owner ?? null
  }

  get size(): number {
    return this.claims.size
  }
}
