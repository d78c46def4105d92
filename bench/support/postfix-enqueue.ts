// Postfix's sendmail enqueue on a throwaway instance: `sendmail -t -i` returns once postdrop has put the file in maildrop/.
import { findExecutable } from '../../tests/support/proc'
import { startPostfix, type PostfixInstance } from '../../tests/support/postfix'
import { rate, timeProcess, type Rate } from './measure'

export interface PostfixEnqueue {
  sequential: Rate
  parallel16: Rate
}

/** Address of the bench instance: away from the test suites' 127.0.0.2-4. */
const BENCH_ADDRESS = '127.0.0.12'

export function postfixMissing(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to run a Postfix instance'
  for (const tool of ['postfix', 'sendmail', 'postdrop']) if (findExecutable(tool) === undefined) return `${tool} is not installed (apt-get install postfix)`
  return null
}

export async function measurePostfixEnqueue(sequentialCount: number, parallelCount: number, message: (i: number) => string): Promise<PostfixEnqueue> {
  const sendmail = findExecutable('sendmail') as string
  const instance: PostfixInstance = await startPostfix({ address: BENCH_ADDRESS, domains: ['bench.test'] })
  try {
    const env = { MAIL_CONFIG: `${instance.dir}/etc` }
    const one = async (i: number): Promise<void> => {
      const result = await timeProcess(sendmail, ['-t', '-i'], message(i), env)
      if (result.code !== 0) throw new Error(`postfix sendmail exited with ${result.code}: ${result.stderr}`)
    }
    const sequential = await rate(sequentialCount, 1, one)
    const parallel16 = await rate(parallelCount, 16, one)
    return { sequential, parallel16 }
  } finally {
    await instance.stop()
  }
}
