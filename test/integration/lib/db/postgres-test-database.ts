import pg from 'pg'

/** Server used by integration tests; `TOKENLINE_TEST_DATABASE_URL` overrides (trust auth, superuser). */
export const adminUrl = process.env.TOKENLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const prefix = 'tokenline_t_'
/** A run older than this left its database behind (crashed); the next run drops it. */
const staleAfterMs = 6 * 3600_000

/**
 * A fresh database per test file on the test server, so parallel runs and reruns never see each
 * other's rows. A whole database rather than a schema: drizzle-kit's SQL names `"public"` in
 * foreign keys, so search_path isolation would not hold.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}${Date.now().toString(36)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await dropStale(admin)
    await admin.query(`create database "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`drop database if exists "${name}" with (force)`)
      } finally {
        await client.end()
      }
    },
  }
}

async function dropStale(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    'select datname from pg_database where datname like $1',
    [`${prefix}%`],
  )
  for (const { datname } of rows) {
    const born = Number.parseInt(datname.slice(prefix.length).split('_')[0] ?? '', 36)
    if (Number.isFinite(born) && Date.now() - born > staleAfterMs) {
      await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined)
    }
  }
}
