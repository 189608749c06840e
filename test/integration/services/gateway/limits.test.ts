import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Driver, nested, seedPlants, startCountedGateway } from './gateway-fixture.ts'

describe.each<Driver>(['pglite', 'postgres'])('request limits (%s)', (driver) => {
  let gw: Awaited<ReturnType<typeof startCountedGateway>>
  const healthz = async () => (await fetch(new URL('/healthz', gw.gateway.graphqlUrl))).status

  beforeAll(async () => {
    gw = await startCountedGateway(driver)
    await seedPlants(gw.storage, 3, 4)
  })

  afterAll(async () => {
    await gw?.close()
  })

  it.each([
    ['12 deep', nested(12), 'QUERY_TOO_DEEP'],
    ['50 deep', nested(50), 'QUERY_TOO_DEEP'],
    [
      '50 deep through a fragment',
      `{ ...F } fragment F on Query ${nested(50).slice(1, -1).replace(/^/, '{')}}`,
      'QUERY_TOO_DEEP',
    ],
    [
      '31 aliases',
      `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: scalingReports { id }`).join(' ')} }`,
      'TOO_MANY_ALIASES',
    ],
    // 1,000 aliases (28 KB) stop at the parser's token limit before validation compares them.
    [
      '1,000 aliases',
      `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: scalingReports { id }`).join(' ')} }`,
      'GRAPHQL_PARSE_FAILED',
    ],
    ['8 deep (within the depth limit, ~1.2 M estimated)', nested(8), 'QUERY_TOO_COMPLEX'],
    [
      'a fragment spread into itself a thousand-fold',
      `{ plants { ...A } } fragment A on Plant { ${'...B '.repeat(30)} } fragment B on Plant { ${'...C '.repeat(30)} } fragment C on Plant { id name lines { id } }`,
      'QUERY_TOO_COMPLEX',
    ],
  ])('refuses %s with a code before any SQL runs, and /healthz answers', async (_what, text, code) => {
    gw.sql.reset()
    const res = await gw.query(text)
    expect(res.status).toBe(400)
    expect(res.data ?? undefined).toBeUndefined()
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual([code])
    expect(gw.sql.statements).toEqual([])
    expect(await healthz()).toBe(200)
  })

  it('runs what fits the limits', async () => {
    const res = await gw.query(nested(6))
    expect(res.errors).toBeUndefined()
    expect(res.data?.plants).toHaveLength(3)
  })

  it('is told its cost with variables: first: $n multiplies', async () => {
    const text =
      'query ($n: Int!) { inspections(first: $n) { edges { node { plant { lines { plant { lines { plant { lines { id } } } } } } } } } }'
    const cheap = await gw.query(text, { n: 1 })
    expect(cheap.errors).toBeUndefined()
    const dear = await gw.query(text, { n: 100 })
    expect(dear.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX'])
    const wrong = await gw.query(text, { n: 'many' })
    expect(wrong.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT'])
  })
})

describe('request deadline (GATEWAY_REQUEST_TIMEOUT_MS)', () => {
  it('PGlite: answers 504 REQUEST_TIMEOUT while the database is held, then runs none of the remaining fields', async () => {
    const gw = await startCountedGateway('pglite', { GATEWAY_REQUEST_TIMEOUT_MS: '200' })
    try {
      await seedPlants(gw.storage, 2, 2)
      let release!: () => void
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      // PGlite runs one transaction at a time: the gateway's queries wait behind this one.
      const holding = gw.storage.transaction(async () => {
        await held
      })
      gw.sql.reset()
      const res = await gw.query('{ plants { id lines { id plant { id } } } }')
      expect(res.status).toBe(504)
      expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.retriable])).toEqual([
        ['REQUEST_TIMEOUT', false],
      ])
      release()
      await holding
      // The plants query was already waiting; the fields after it (Plant.lines, Line.plant) stop.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(gw.sql.statements.filter((s) => /from "lines"/.test(s))).toEqual([])
      const after = await gw.query('{ plants { id lines { id } } }')
      expect(after.errors).toBeUndefined()
      expect(after.data?.plants).toHaveLength(2)
    } finally {
      await gw.close()
    }
  })

  it('PostgreSQL: answers 504 REQUEST_TIMEOUT, statement_timeout ends the blocked statement, the pool stays usable', async () => {
    const gw = await startCountedGateway('postgres', { GATEWAY_REQUEST_TIMEOUT_MS: '300' })
    const locker = new pg.Client({ connectionString: gw.gateway.storage.location.replace('***', '') })
    try {
      await seedPlants(gw.storage, 2, 2)
      await locker.connect()
      await locker.query('begin')
      await locker.query('lock table plants in access exclusive mode')
      const res = await gw.query('{ plants { id lines { id } } }')
      expect(res.status).toBe(504)
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['REQUEST_TIMEOUT'])
      // statement_timeout (300 ms) cancels the waiting statement: a query of its own sees it gone.
      let waiting = 1
      for (let i = 0; i < 50 && waiting > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const { rows } = await locker.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
        )
        waiting = rows[0]!.n
      }
      expect(waiting).toBe(0)
      await locker.query('rollback')
      const after = await gw.query('{ plants { id lines { id } } }')
      expect(after.errors).toBeUndefined()
      expect(after.data?.plants).toHaveLength(2)
    } finally {
      await locker.end().catch(() => undefined)
      await gw.close()
    }
  })
})
