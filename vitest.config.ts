import { defineConfig } from 'vitest/config'

// Three tiers (STYLE.md): unit needs nothing, integration talks to real Postgres / the broker over TCP,
// e2e drives running services over HTTP/GraphQL. Integration and e2e run one file at a time because
// this machine has 2 cores and those tests start servers.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          poolOptions: { forks: { singleFork: true } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
})
