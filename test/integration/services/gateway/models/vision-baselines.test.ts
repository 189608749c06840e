import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage, type Storage } from '../../../../../lib/db/index.ts'
import type { Principal } from '../../../../../services/gateway/src/auth/principal.ts'
import { loadConfig } from '../../../../../services/gateway/src/config.ts'
import { GatewayEvents } from '../../../../../services/gateway/src/events/gateway-events.ts'
import { createApollo } from '../../../../../services/gateway/src/graphql/apollo.ts'
import { createContext } from '../../../../../services/gateway/src/graphql/context.ts'
import { importModelsDir } from '../../../../../services/gateway/src/models/models-dir.importer.ts'
import { scalingReportFixture } from '../../../lib/db/fixtures.ts'
import { createTestDatabase } from '../../../lib/db/postgres-test-database.ts'
import { noEdge, shippedReplay } from '../context-fixture.ts'

const admin: Principal = { keyId: 'k', name: 'admin', role: 'admin', allPlants: true, plantIds: new Set() }

const expectedPoints = [
  { budget: 4, answerAccuracy: 0.8, visionAnswerAccuracy: 0.7, visionPosteriorAnswerAccuracy: 0.75 },
  { budget: 16, answerAccuracy: 0.85, visionAnswerAccuracy: 0.75, visionPosteriorAnswerAccuracy: 0.8 },
  { budget: 64, answerAccuracy: 0.9, visionAnswerAccuracy: 0.8, visionPosteriorAnswerAccuracy: 0.85 },
]

/** A question report whose points carry the two vision-only answer baselines. */
function fusedReport() {
  const base = scalingReportFixture({ model: 'tiny-cloud', question: 'is there a pit?' })
  return { ...base, points: base.points.map((p, i) => ({ ...p, ...expectedPoints[i]! })) }
}

describe('vision answer baselines of scaling reports (PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let storage: Storage
  let modelsDir: string

  const points = async () => {
    const apollo = createApollo(pino({ level: 'silent' }), new Registry(), loadConfig({}))
    await apollo.start()
    try {
      const response = await apollo.executeOperation(
        {
          query:
            '{ scalingReports(model: "tiny-cloud") { points { budget answerAccuracy visionAnswerAccuracy visionPosteriorAnswerAccuracy } } }',
        },
        { contextValue: createContext(storage, 100, admin, new GatewayEvents(), noEdge(), shippedReplay()) },
      )
      if (response.body.kind !== 'single') throw new Error('expected a single result')
      const result = response.body.singleResult
      expect(result.errors).toBeUndefined()
      return (result.data as { scalingReports: { points: unknown[] }[] }).scalingReports.map((r) => r.points)
    } finally {
      await apollo.stop()
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase()
    storage = await openStorage({ driver: 'postgres', url: database.url })
    modelsDir = mkdtempSync(join(tmpdir(), 'tokenline-models-'))
    mkdirSync(join(modelsDir, 'tiny-cloud'))
    writeFileSync(join(modelsDir, 'tiny-cloud', 'scaling.q-pit.json'), JSON.stringify(fusedReport()))
  })

  afterAll(async () => {
    await storage?.close()
    await database?.drop()
    rmSync(modelsDir, { recursive: true, force: true })
  })

  it('imports them from the report file and serves them', async () => {
    const imported = await importModelsDir(modelsDir, storage, pino({ level: 'silent' }))
    expect(imported.reports).toHaveLength(1)
    expect(await points()).toEqual([expectedPoints])
  })

  it('fills them in on the next import for a report stored before their columns existed', async () => {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await client.query(
        'update scaling_points set vision_answer_accuracy = null, vision_posterior_answer_accuracy = null',
      )
    } finally {
      await client.end()
    }
    expect((await points())[0]).toEqual(
      expectedPoints.map((p) => ({ ...p, visionAnswerAccuracy: null, visionPosteriorAnswerAccuracy: null })),
    )
    const again = await importModelsDir(modelsDir, storage, pino({ level: 'silent' }))
    expect(again.reports.map((r) => r.created)).toEqual([false])
    expect(await points()).toEqual([expectedPoints])
  })
})
