import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scalingReportFixture } from '../../lib/db/fixtures.ts'
import { type Driver, seedInspections, seedPlants, startCountedGateway } from './gateway-fixture.ts'

const manifest = (name: string) => ({
  schema: 'tokenline.model-manifest.v1' as const,
  name,
  role: 'edge' as const,
  sha256: 'a'.repeat(64),
  labels: ['ok', 'pit'],
  patchSize: 8,
  channels: 1,
  colorSpace: 'b-w',
  normalisation: { mean: [0.5], std: [0.25] },
  budgets: [4, 16, 64],
  metrics: {},
})

const page = (first: number) => `{
  inspections(first: ${first}) {
    edges { node { id line { id name } plant { id lines { id } } reviews { id label } } }
  }
}`

describe.each<Driver>(['pglite', 'postgres'])('SQL statements per request (%s)', (driver) => {
  let gw: Awaited<ReturnType<typeof startCountedGateway>>

  beforeAll(async () => {
    gw = await startCountedGateway(driver)
    const lineIds = await seedPlants(gw.storage, 3, 4)
    await seedInspections(gw.storage, lineIds, 120)
    for (const name of ['m-a', 'm-b', 'm-c']) {
      await gw.storage.models.register(manifest(name) as never)
      for (const createdAt of ['2026-11-20T10:00:00.000Z', '2026-11-21T10:00:00.000Z']) {
        await gw.storage.scalingReports.import(scalingReportFixture({ model: name, createdAt }))
      }
    }
  })

  afterAll(async () => {
    await gw?.close()
  })

  const statementsFor = async (text: string): Promise<string[]> => {
    gw.sql.reset()
    const res = await gw.query(text)
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined()
    return [...gw.sql.statements]
  }

  it('runs each list query once (no drizzle builder handed out to be run at every .then())', async () => {
    expect(await statementsFor('{ plants { id } }')).toHaveLength(1)
    expect(await statementsFor('{ lines { id } }')).toHaveLength(1)
    expect(await statementsFor('{ models { name } }')).toHaveLength(1)
    expect(await statementsFor('{ plants { id lines { id } } }')).toHaveLength(2)
    // Every line's current policy in one statement, not one per line (12 lines here).
    expect(await statementsFor('{ lines { id policy { version } } }')).toHaveLength(2)
  })

  it('costs the same number of statements for a page of 10 and of 100 inspections with line, plant, plant.lines and reviews', async () => {
    const small = await statementsFor(page(10))
    const large = await statementsFor(page(100))
    // inspections, lines by id, plants by id, lines by plant, reviews by inspection
    expect(small).toHaveLength(5)
    expect(large).toHaveLength(small.length)
  })

  it('loads the scaling reports of every model in one go', async () => {
    const one = await statementsFor('{ model(name: "m-a") { scalingReports { id points { budget } } } }')
    const all = await statementsFor('{ models { name scalingReports { id points { budget } } } }')
    // model (or models), reports of the models, their points
    expect(one).toHaveLength(3)
    expect(all).toHaveLength(3)
  })
})
