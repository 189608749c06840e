import type { ApolloServer } from '@apollo/server'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../lib/db/index.ts'
import type { Principal } from '../../../../services/gateway/src/auth/principal.ts'
import { loadConfig } from '../../../../services/gateway/src/config.ts'
import { GatewayEvents } from '../../../../services/gateway/src/events/gateway-events.ts'
import { createApollo } from '../../../../services/gateway/src/graphql/apollo.ts'
import { createContext, type GatewayContext } from '../../../../services/gateway/src/graphql/context.ts'
import { noEdge, shippedReplay } from './context-fixture.ts'
import { type Json, seedInspections, seedPlants } from './gateway-fixture.ts'

const viewerOfPlant1: Principal = {
  keyId: 'k1',
  name: 'plant-1 viewer',
  role: 'viewer',
  allPlants: false,
  plantIds: new Set(['plant-1']),
}

// Through Apollo with the principal a verified key yields (key verification itself is the auth branch's).
describe('reads scoped to the key’s plants', () => {
  let storage: Storage
  let apollo: ApolloServer<GatewayContext>
  let ids: string[]

  const run = async (
    query: string,
    principal = viewerOfPlant1,
  ): Promise<{ data?: Json; errors?: Json[] }> => {
    const response = await apollo.executeOperation(
      { query },
      {
        contextValue: createContext(storage, 100, principal, new GatewayEvents(), noEdge(), shippedReplay()),
      },
    )
    if (response.body.kind !== 'single') throw new Error('expected a single result')
    return response.body.singleResult as Json
  }

  beforeAll(async () => {
    storage = await openStorage({ driver: 'pglite-memory' })
    ids = await seedInspections(storage, await seedPlants(storage, 2, 2), 12)
    apollo = createApollo(pino({ level: 'silent' }), new Registry(), loadConfig({}))
    await apollo.start()
  })

  afterAll(async () => {
    await apollo?.stop()
    await storage?.close()
  })

  it('lists only the key’s plants and lines', async () => {
    expect(await run('{ plants { id lines { id } } lines { id } }')).toEqual({
      data: {
        plants: [{ id: 'plant-1', lines: [{ id: 'line-1-1' }, { id: 'line-1-2' }] }],
        lines: [{ id: 'line-1-1' }, { id: 'line-1-2' }],
      },
    })
    expect((await run('{ lines(plantId: "plant-2") { id } }')).data).toEqual({ lines: [] })
  })

  it('answers another plant’s plant and line like missing ones', async () => {
    expect((await run('{ plant(id: "plant-2") { id } line(id: "line-2-1") { id } }')).data).toEqual({
      plant: null,
      line: null,
    })
    expect((await run('{ plant(id: "plant-1") { id } line(id: "line-1-1") { id } }')).data).toEqual({
      plant: { id: 'plant-1' },
      line: { id: 'line-1-1' },
    })
  })

  it('pages and counts only the key’s inspections, whatever the filter says', async () => {
    // seedInspections spreads 12 over line-1-1, line-1-2, line-2-1, line-2-2 in turn
    const mine = await run('{ inspections(first: 100) { totalCount edges { node { plant { id } } } } }')
    expect(mine.data.inspections.totalCount).toBe(6)
    expect(new Set(mine.data.inspections.edges.map((e: Json) => e.node.plant.id))).toEqual(
      new Set(['plant-1']),
    )
    const theirs = await run(
      '{ inspections(filter: { plantId: "plant-2" }) { totalCount edges { node { id } } } l: inspections(filter: { lineId: "line-2-1" }) { totalCount } }',
    )
    expect(theirs.data).toEqual({ inspections: { totalCount: 0, edges: [] }, l: { totalCount: 0 } })
  })

  it('answers another plant’s inspection like a missing one', async () => {
    const plant2 = ids[2]!
    const plant1 = ids[0]!
    expect(
      (await run(`{ a: inspection(id: "${plant2}") { id } b: inspection(id: "${plant1}") { id } }`)).data,
    ).toEqual({
      a: null,
      b: { id: plant1 },
    })
  })

  it('sees every plant with an all-plants key, and a key of no plant sees none', async () => {
    const admin: Principal = { ...viewerOfPlant1, role: 'admin', allPlants: true, plantIds: new Set() }
    expect((await run('{ plants { id } }', admin)).data.plants).toHaveLength(2)
    const none: Principal = { ...viewerOfPlant1, plantIds: new Set() }
    expect((await run('{ plants { id } lines { id } inspections { totalCount } }', none)).data).toEqual({
      plants: [],
      lines: [],
      inspections: { totalCount: 0 },
    })
  })
})
