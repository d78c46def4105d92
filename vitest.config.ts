// Test projects: unit (pure logic, Node), renderer (Vue components/stores in happy-dom), integration (real servers, one file at a time).
import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { nodeWorkerForTests } from './tests/support/node-worker-plugin'

const alias = { '@shared': resolve(import.meta.dirname, 'src/shared'), '@renderer': resolve(import.meta.dirname, 'src/renderer/src') }

export default defineConfig({
  test: {
    projects: [
      {
        // electron-vite's `?nodeWorker` imports (the parser's worker pool) built for real under vitest.
        plugins: [nodeWorkerForTests()],
        resolve: { alias },
        test: { name: 'unit', environment: 'node', include: ['tests/unit/**/*.test.ts'], exclude: ['tests/unit/renderer/**'] }
      },
      {
        plugins: [vue()],
        resolve: { alias },
        test: { name: 'renderer', environment: 'happy-dom', include: ['tests/unit/renderer/**/*.test.ts'] }
      },
      {
        plugins: [nodeWorkerForTests()],
        resolve: { alias },
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.test.ts'],
          // Real Postfix/Dovecot/dnsmasq on fixed loopback addresses: one file at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000
        }
      }
    ]
  }
})
