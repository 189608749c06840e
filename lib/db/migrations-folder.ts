import { fileURLToPath } from 'node:url'

/** The committed drizzle-kit output at the repository root, independent of the working directory. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))
