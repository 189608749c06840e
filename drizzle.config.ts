import { defineConfig } from 'drizzle-kit'

/** `npm run db:generate` diffs lib/db/schema.ts against migrations/ and writes the next SQL file. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './lib/db/schema.ts',
  out: './migrations',
})
