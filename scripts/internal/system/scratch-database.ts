import pg from 'pg'

export type ScratchDatabase = { url: string; name: string; drop: () => Promise<void> }

/**
 * A fresh, empty PostgreSQL database on the server at `adminUrl` (a superuser or a role allowed
 * to create databases), dropped by `drop()`: one per drill or soak run, one per integration test
 * file. A whole database rather than a schema: drizzle-kit's SQL names `"public"` in foreign keys,
 * so search_path isolation would not hold.
 *
 * The name is `<prefix><base-36 ms since epoch>_<pid>_<random>`. With `dropStaleAfterMs`, databases
 * of the same prefix born longer ago than that (left behind by a run that crashed) are dropped first.
 */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
  options: { dropStaleAfterMs?: number } = {},
): Promise<ScratchDatabase> {
  const name = `${prefix}${Date.now().toString(36)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    if (options.dropStaleAfterMs !== undefined) await dropStale(admin, prefix, options.dropStaleAfterMs)
    await admin.query(`create database "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
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

async function dropStale(admin: pg.Client, prefix: string, afterMs: number): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [prefix],
  )
  for (const { datname } of rows) {
    const born = Number.parseInt(datname.slice(prefix.length).split('_')[0] ?? '', 36)
    if (Number.isFinite(born) && Date.now() - born > afterMs)
      await admin.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined)
  }
}
