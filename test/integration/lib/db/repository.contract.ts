import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { EdgeInspectionWrite, InspectionWrite, Storage } from '../../../../lib/db/index.ts'
import { scalingReportFixture } from './fixtures.ts'

/**
 * The repository contract: every storage driver must pass exactly these tests.
 * `open` returns a freshly migrated, empty storage; `cleanup` runs after it is closed.
 */
export function describeRepositoryContract(
  driver: string,
  open: () => Promise<{ storage: Storage; cleanup?: () => Promise<void> }>,
): void {
  describe(`repository contract on ${driver}`, () => {
    let storage: Storage
    let cleanup: (() => Promise<void>) | undefined

    beforeAll(async () => {
      ;({ storage, cleanup } = await open())
    })
    afterAll(async () => {
      await storage?.close()
      await cleanup?.()
    })

    const base = (over: Partial<InspectionWrite> = {}): InspectionWrite => ({
      id: randomUUID(),
      lineId: 'line-a',
      plantId: 'plant-1',
      receivedAt: new Date('2026-11-01T08:00:00.000Z'),
      ...over,
    })
    const edge = {
      label: 'ok',
      probabilities: { ok: 0.7, pit: 0.3 },
      budget: 16,
      tokens: 16,
      model: 'e1',
      cost: 0.016,
    }
    const cloud = {
      label: 'pit',
      probabilities: { ok: 0.1, pit: 0.9 },
      budget: 256,
      tokens: 260,
      model: 'c1',
      cost: 0.52,
      latencyMs: 40,
    }

    describe('plants and lines', () => {
      it('upserts, renames and lists by plant', async () => {
        await storage.plants.upsert({ id: 'plant-x', name: 'Plant X' })
        await storage.lines.upsert({ id: 'line-x1', plantId: 'plant-x', name: 'Press 1' })
        await storage.lines.upsert({ id: 'line-x1', plantId: 'plant-x', name: 'Press one' })
        await storage.lines.upsert({ id: 'line-y1', plantId: 'plant-y', name: 'Y1' })
        expect((await storage.lines.list({ plantId: 'plant-x' })).map((l) => [l.id, l.name])).toEqual([
          ['line-x1', 'Press one'],
        ])
        expect((await storage.plants.get('plant-y'))?.name).toBe('plant-y')
        expect((await storage.lines.getMany(['line-x1', 'line-y1', 'nope'])).map((l) => l.id).sort()).toEqual(
          ['line-x1', 'line-y1'],
        )
      })

      it('refuses to move a line to another plant', async () => {
        await expect(
          storage.lines.upsert({ id: 'line-x1', plantId: 'plant-y', name: 'moved' }),
        ).rejects.toMatchObject({
          code: 'DB_INPUT_INVALID',
        })
        await expect(
          storage.inspections.upsert(base({ lineId: 'line-x1', plantId: 'plant-y' })),
        ).rejects.toMatchObject({
          code: 'DB_INPUT_INVALID',
        })
      })
    })

    describe('inspection results', () => {
      it('writes the same result twice as one row with one ledger entry per tier', async () => {
        const write = base({
          lineId: 'line-idem',
          edge,
          escalated: true,
          cloud,
          final: {
            verdict: 'pit',
            decidedBy: 'cloud',
            decidedAt: new Date('2026-11-01T08:00:01.000Z'),
            latencyMs: 1000,
          },
        })
        const first = await storage.inspections.upsert(write)
        const second = await storage.inspections.upsert(write)
        expect({ ...second, updatedAt: null }).toEqual({ ...first, updatedAt: null })
        expect(await storage.inspections.count({ lineId: 'line-idem' })).toBe(1)
        expect(await storage.costLedger.totals({ lineId: 'line-idem' })).toEqual([
          { tier: 'cloud', entries: 1, tokens: 260, cost: 0.52 },
          { tier: 'edge', entries: 1, tokens: 16, cost: 0.016 },
        ])
      })

      it('merges edge result and cloud verdict in either order; the verdict only moves up in rank', async () => {
        for (const order of [
          ['edge', 'cloud'],
          ['cloud', 'edge'],
        ] as const) {
          const id = randomUUID()
          const writes = {
            edge: base({
              id,
              edge,
              escalated: true,
              question: 'any pits?',
              policyVersion: 3,
              final: { verdict: 'ok', decidedBy: 'edge', decidedAt: new Date('2026-11-01T08:00:00.050Z') },
            }),
            cloud: base({
              id,
              cloud: { ...cloud, answer: 0.93 },
              final: { verdict: 'pit', decidedBy: 'cloud', decidedAt: new Date('2026-11-01T08:00:00.900Z') },
            }),
          }
          for (const step of order) await storage.inspections.upsert(writes[step])
          await storage.inspections.upsert(writes.edge)
          const row = await storage.inspections.get(id)
          expect(row).toMatchObject({
            edgeLabel: 'ok',
            edgeProbabilities: { ok: 0.7, pit: 0.3 },
            edgeBudget: 16,
            cloudLabel: 'pit',
            cloudTokens: 260,
            cloudAnswer: 0.93,
            verdict: 'pit',
            decidedBy: 'cloud',
            escalated: true,
            question: 'any pits?',
            policyVersion: 3,
          })
          expect(row?.decidedAt?.toISOString()).toBe('2026-11-01T08:00:00.900Z')
        }
      })

      it('lets a human review settle the verdict and keeps the latest review', async () => {
        const inspection = await storage.inspections.upsert(
          base({
            cloud,
            final: { verdict: 'pit', decidedBy: 'cloud', decidedAt: new Date('2026-11-01T08:00:01Z') },
          }),
        )
        const later = {
          id: randomUUID(),
          inspectionId: inspection.id,
          label: 'scratch',
          reviewer: 'ana',
          note: 'long',
        }
        const earlier = { id: randomUUID(), inspectionId: inspection.id, label: 'ok', reviewer: 'bo' }
        await storage.reviews.record({ ...later, createdAt: new Date('2026-11-01T09:00:00Z') })
        await storage.reviews.record({ ...earlier, createdAt: new Date('2026-11-01T08:30:00Z') })
        await storage.reviews.record({ ...later, createdAt: new Date('2026-11-01T09:00:00Z') })
        const row = await storage.inspections.get(inspection.id)
        expect(row).toMatchObject({ verdict: 'scratch', decidedBy: 'human', latencyMs: 3_600_000 })
        expect((await storage.reviews.listFor(inspection.id)).map((r) => r.label)).toEqual(['ok', 'scratch'])
        await storage.inspections.upsert(
          base({
            id: inspection.id,
            final: { verdict: 'pit', decidedBy: 'cloud', decidedAt: new Date('2026-11-01T10:00Z') },
          }),
        )
        expect((await storage.inspections.get(inspection.id))?.verdict).toBe('scratch')
      })

      it('rejects a review of an unknown inspection and ids that are not UUIDs', async () => {
        await expect(
          storage.reviews.record({
            id: randomUUID(),
            inspectionId: randomUUID(),
            label: 'ok',
            reviewer: 'x',
            createdAt: new Date(),
          }),
        ).rejects.toMatchObject({ code: 'DB_NOT_FOUND' })
        await expect(storage.inspections.get('not-a-uuid')).rejects.toMatchObject({
          code: 'DB_INPUT_INVALID',
        })
        await expect(storage.inspections.upsert(base({ id: '123' }))).rejects.toMatchObject({
          code: 'DB_INPUT_INVALID',
        })
      })
    })

    describe('listing inspections', () => {
      const lineId = 'line-page'
      const written: InspectionWrite[] = []

      beforeAll(async () => {
        const t0 = Date.parse('2026-11-02T00:00:00.000Z')
        for (let i = 0; i < 9; i++) {
          const decidedBy = i % 3 === 0 ? 'cloud' : 'edge'
          const write = base({
            lineId,
            receivedAt: new Date(t0 + Math.floor(i / 2) * 1000),
            escalated: decidedBy === 'cloud',
            edge,
            final: {
              verdict: i % 2 === 0 ? 'ok' : 'pit',
              decidedBy,
              decidedAt: new Date(t0 + i * 1000 + 500),
            },
          })
          written.push(write)
        }
        for (const w of [...written].reverse()) await storage.inspections.upsert(w)
      })

      const expectedOrder = () =>
        [...written]
          .sort(
            (a, b) =>
              b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
          )
          .map((w) => w.id)

      it('pages newest first (time, then id) without gaps or repeats', async () => {
        const seen: string[] = []
        let after: string | null = null
        let pages = 0
        for (;;) {
          const page = await storage.inspections.list({ lineId }, { first: 4, after })
          seen.push(...page.rows.map((r) => r.id))
          pages++
          if (!page.hasNextPage) break
          after = page.endCursor
        }
        expect(pages).toBe(3)
        expect(seen).toEqual(expectedOrder())
      })

      it('filters by verdict, decider, escalation and time range, and counts the same set', async () => {
        const all = { lineId }
        const byVerdict = await storage.inspections.list({ ...all, verdict: 'pit' }, { first: 100 })
        expect(byVerdict.rows.map((r) => r.verdict)).toEqual(['pit', 'pit', 'pit', 'pit'])
        const byCloud = await storage.inspections.list({ ...all, decidedBy: 'cloud' }, { first: 100 })
        expect(byCloud.rows).toHaveLength(3)
        expect(await storage.inspections.count({ ...all, escalated: true })).toBe(3)
        const window = {
          from: new Date('2026-11-02T00:00:01.000Z'),
          to: new Date('2026-11-02T00:00:03.000Z'),
        }
        const inWindow = await storage.inspections.list({ ...all, ...window }, { first: 100 })
        expect(inWindow.rows.map((r) => r.receivedAt.toISOString()).sort()).toEqual([
          '2026-11-02T00:00:01.000Z',
          '2026-11-02T00:00:01.000Z',
          '2026-11-02T00:00:02.000Z',
          '2026-11-02T00:00:02.000Z',
        ])
        expect(await storage.inspections.count({ ...all, ...window })).toBe(4)
        expect(await storage.inspections.count({ lineId: 'no-such-line' })).toBe(0)
      })

      it('rejects a forged cursor and an out-of-range page size', async () => {
        await expect(storage.inspections.list({}, { first: 5, after: 'bm9wZQ' })).rejects.toMatchObject({
          code: 'DB_CURSOR_INVALID',
        })
        await expect(storage.inspections.list({}, { first: 0 })).rejects.toMatchObject({
          code: 'DB_INPUT_INVALID',
        })
      })
    })

    describe('policies', () => {
      it('appends versions, finds the current one, and rolls back by appending', async () => {
        await storage.lines.upsert({ id: 'line-pol', plantId: 'plant-1', name: 'Policy line' })
        const v1 = await storage.policies.append({
          lineId: 'line-pol',
          author: 'ana',
          reason: 'initial',
          body: { edgeBudget: 16, threshold: 0.8 },
        })
        const v2 = await storage.policies.append({
          lineId: 'line-pol',
          author: 'bo',
          reason: 'more tokens',
          body: { edgeBudget: 64, threshold: 0.9 },
        })
        expect([v1.version, v2.version]).toEqual([1, 2])
        expect((await storage.policies.current('line-pol'))?.body).toEqual({ edgeBudget: 64, threshold: 0.9 })
        const v3 = await storage.policies.rollback('line-pol', 1, 'ana', 'too costly')
        expect(v3).toMatchObject({ version: 3, rolledBackTo: 1, body: { edgeBudget: 16, threshold: 0.8 } })
        expect((await storage.policies.history('line-pol')).map((p) => p.version)).toEqual([3, 2, 1])
        const many = await storage.policies.currentForMany(['line-pol', 'no-line'])
        expect([...many.keys()]).toEqual(['line-pol'])
        expect(many.get('line-pol')?.version).toBe(3)
        expect((await storage.policies.currentForMany([])).size).toBe(0)
        expect((await storage.policies.get('line-pol', 2))?.author).toBe('bo')
        await expect(storage.policies.rollback('line-pol', 9, 'ana', 'x')).rejects.toMatchObject({
          code: 'DB_NOT_FOUND',
        })
        await expect(
          storage.policies.append({ lineId: 'no-line', author: 'a', reason: 'r', body: {} }),
        ).rejects.toMatchObject({ code: 'DB_NOT_FOUND' })
        expect(await storage.policies.current('no-line')).toBeUndefined()
      })

      it('gives concurrent changes distinct consecutive versions', async () => {
        await storage.lines.upsert({ id: 'line-race', plantId: 'plant-1', name: 'Race' })
        const rows = await Promise.all(
          [1, 2, 3, 4, 5].map((n) =>
            storage.policies.append({ lineId: 'line-race', author: 'a', reason: `r${n}`, body: { n } }),
          ),
        )
        expect(rows.map((r) => r.version).sort()).toEqual([1, 2, 3, 4, 5])
      })
    })

    describe('models and scaling reports', () => {
      const manifest = {
        schema: 'tokenline.model-manifest.v1',
        name: 'tiny-edge',
        role: 'edge',
        file: 'model.onnx',
        sha256: 'a'.repeat(64),
        labels: ['ok', 'pit'],
        patchSize: 8,
        channels: 1,
        colorSpace: 'b-w',
        normalisation: { mean: [0.5], std: [0.25] },
        budgets: [4, 16, 64],
        io: { tokens: 'tokens', positions: 'positions', logits: 'logits' },
        temperatures: {},
        metrics: {},
      } satisfies ModelManifestV1

      it('registers a model and replaces it on re-registration', async () => {
        await storage.models.register(manifest)
        await storage.models.register({ ...manifest, budgets: [4, 16, 64, 256] })
        const rows = await storage.models.list({ role: 'edge' })
        expect(rows.map((m) => [m.name, m.budgets])).toEqual([['tiny-edge', [4, 16, 64, 256]]])
        expect(await storage.models.list({ role: 'cloud' })).toEqual([])
        expect((await storage.models.get('tiny-edge'))?.manifest).toMatchObject({
          colorSpace: 'b-w',
          patchSize: 8,
        })
      })

      it('round-trips a scaling report once, however often it is imported', async () => {
        const report = scalingReportFixture()
        const first = await storage.scalingReports.import(report)
        const again = await storage.scalingReports.import(structuredClone(report))
        expect(first.created).toBe(true)
        expect(again).toEqual({ id: first.id, created: false })
        const other = await storage.scalingReports.import(
          scalingReportFixture({ model: 'other', createdAt: '2026-11-21T00:00:00.000Z' }),
        )
        expect(other.id).not.toBe(first.id)

        const [stored] = await storage.scalingReports.list({ model: 'tiny-edge' })
        expect(stored?.id).toBe(first.id)
        expect(stored?.fits).toEqual(report.fits)
        expect(stored?.createdAt.toISOString()).toBe(report.createdAt)
        expect(stored?.points.map((p) => p.budget)).toEqual([4, 16, 64])
        expect(stored?.points[1]).toMatchObject({
          accuracy: report.points[1]!.accuracy,
          error: report.points[1]!.error,
          tokensPerImage: 16,
          perClass: report.points[1]!.perClass,
          answerAccuracy: null,
        })
        expect((await storage.scalingReports.list()).map((r) => r.model)).toEqual(['other', 'tiny-edge'])
        expect((await storage.scalingReports.get(first.id))?.points).toHaveLength(3)
        expect(await storage.scalingReports.get('f'.repeat(64))).toBeUndefined()
      })
    })

    describe('edge inspections and outbox', () => {
      const edgeRow = (over: Partial<EdgeInspectionWrite> = {}): EdgeInspectionWrite => ({
        id: randomUUID(),
        nodeId: 'edge-1',
        plantId: 'plant-1',
        lineId: 'line-e',
        source: 'http',
        receivedAt: new Date('2026-11-01T08:00:00.000Z'),
        decidedAt: new Date('2026-11-01T08:00:00.020Z'),
        question: null,
        policyVersion: 2,
        status: 'pending',
        disposition: 'escalated',
        escalationReason: 'confidence',
        decision: { action: 'escalate', cloudTokens: 256 },
        edgeLabel: 'ok',
        edgeConfidence: 0.6,
        edgeProbabilities: { ok: 0.6, pit: 0.4 },
        ladder: [16, 64],
        edgeLatencyMs: 3,
        deadlineAt: new Date('2026-11-01T08:00:05.020Z'),
        ...over,
      })

      it('writes an inspection and its outbox rows in one transaction, or neither', async () => {
        const row = edgeRow()
        const value = Buffer.from([0, 1, 2, 255])
        await storage.transaction(async (tx) => {
          await tx.edgeInspections.insert(row)
          await tx.edgeOutbox.add(
            [{ inspectionId: row.id, topic: 't.v1', key: 'line-e', value, headers: { a: 'b' } }],
            row.decidedAt,
          )
        })
        expect((await storage.edgeInspections.get(row.id))?.status).toBe('pending')
        const [stored] = await storage.edgeOutbox.forInspection(row.id)
        expect(Buffer.compare(stored!.value, value)).toBe(0)
        expect(stored!.headers).toEqual({ a: 'b' })

        const failing = edgeRow()
        await expect(
          storage.transaction(async (tx) => {
            await tx.edgeInspections.insert(failing)
            await tx.edgeOutbox.add(
              [{ inspectionId: failing.id, topic: 't.v1', key: 'k', value, headers: {} }],
              new Date(),
            )
            throw new Error('disk full')
          }),
        ).rejects.toThrow('disk full')
        expect(await storage.edgeInspections.get(failing.id)).toBeUndefined()
        expect(await storage.edgeOutbox.forInspection(failing.id)).toEqual([])
        expect(await storage.edgeInspections.insert(row)).toBe(false)
      })

      it('hands out due rows oldest first, backs off failures and marks rows sent', async () => {
        const t0 = new Date('2026-11-02T00:00:00.000Z')
        const before = await storage.edgeOutbox.depth()
        const ids = [randomUUID(), randomUUID(), randomUUID()]
        await storage.edgeOutbox.add(
          ids.map((id) => ({
            inspectionId: id,
            topic: 'o.v1',
            key: 'k',
            value: Buffer.alloc(10),
            headers: {},
          })),
          t0,
        )
        const depth = await storage.edgeOutbox.depth()
        expect(depth.rows - before.rows).toBe(3)
        expect(depth.bytes - before.bytes).toBe(30)
        const due = (await storage.edgeOutbox.due(t0, 1000)).filter((r) => r.topic === 'o.v1')
        expect(due.map((r) => r.inspectionId)).toEqual(ids)
        await storage.edgeOutbox.markFailed([due[0]!.id], 'broker down', new Date(t0.getTime() + 60_000))
        const later = (await storage.edgeOutbox.due(t0, 1000)).filter((r) => r.topic === 'o.v1')
        expect(later.map((r) => r.inspectionId)).toEqual(ids.slice(1))
        await storage.edgeOutbox.markSent(
          later.map((r) => r.id),
          t0,
        )
        const retried = (await storage.edgeOutbox.due(new Date(t0.getTime() + 60_000), 1000)).filter(
          (r) => r.topic === 'o.v1',
        )
        expect(retried).toHaveLength(1)
        expect(retried[0]).toMatchObject({ attempts: 1, lastError: 'broker down' })
        expect((await storage.edgeOutbox.depth()).rows - before.rows).toBe(1)
      })

      it('settles once, expires past the deadline and counts cloud tokens per line', async () => {
        const a = edgeRow({ lineId: 'line-s' })
        const b = edgeRow({ lineId: 'line-s', deadlineAt: new Date('2026-11-01T08:00:01.000Z') })
        await storage.edgeInspections.insert(a)
        await storage.edgeInspections.insert(b)
        const settlement = {
          label: 'pit',
          probabilities: { ok: 0.1, pit: 0.9 },
          answer: null,
          at: new Date(),
        }
        expect(await storage.edgeInspections.settle(a.id, settlement)).toBe(true)
        expect(await storage.edgeInspections.settle(a.id, settlement)).toBe(false)
        expect(
          await storage.edgeInspections.expire(new Date('2026-11-01T08:00:02.000Z'), 'fallback', 'line-s'),
        ).toEqual([b.id])
        expect(await storage.edgeInspections.get(b.id)).toMatchObject({
          status: 'fallback',
          finalLabel: 'ok',
        })
        expect(await storage.edgeInspections.settle(b.id, settlement)).toBe(true)
        expect(await storage.edgeInspections.get(b.id)).toMatchObject({
          status: 'settled',
          finalLabel: 'pit',
        })
        const tokens = await storage.edgeInspections.cloudTokensSince(new Date('2026-11-01T07:00:00.000Z'))
        expect(tokens.get('line-s')).toBe(512)
      })
    })
  })
}
