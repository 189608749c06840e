import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiKeyWrite, Storage } from '../../../../lib/db/index.ts'

/**
 * API keys, and the create-only plant and line writes and plant scoping the gateway's access
 * control relies on: every storage driver must pass these (run beside the repository contract).
 */
export function describeAccessContract(
  driver: string,
  open: () => Promise<{ storage: Storage; cleanup?: () => Promise<void> }>,
): void {
  describe(`access repositories on ${driver}`, () => {
    let storage: Storage
    let cleanup: (() => Promise<void>) | undefined

    beforeAll(async () => {
      ;({ storage, cleanup } = await open())
    })
    afterAll(async () => {
      await storage?.close()
      await cleanup?.()
    })

    const key = (over: Partial<ApiKeyWrite> = {}): ApiKeyWrite => ({
      id: randomUUID(),
      name: 'k',
      role: 'viewer',
      allPlants: false,
      plantIds: ['plant-1'],
      prefix: 'tl_abcdefg',
      secretHash: randomUUID().replaceAll('-', '').padEnd(64, '0'),
      createdBy: 'test',
      ...over,
    })

    it('stores keys by hash, finds them, counts the active ones, revokes once, records use', async () => {
      const a = await storage.apiKeys.create(key({ name: 'a', role: 'admin', allPlants: true, plantIds: [] }))
      const b = await storage.apiKeys.create(key({ name: 'b' }))
      expect(a).toMatchObject({
        name: 'a',
        role: 'admin',
        allPlants: true,
        revokedAt: null,
        lastUsedAt: null,
      })
      expect((await storage.apiKeys.findByHash(b.secretHash))?.id).toBe(b.id)
      expect(await storage.apiKeys.findByHash('0'.repeat(64))).toBeUndefined()
      expect(await storage.apiKeys.countActive()).toBe(2)
      await expect(storage.apiKeys.create(key({ secretHash: b.secretHash }))).rejects.toMatchObject({
        code: 'DB_INPUT_INVALID',
      })

      const at = new Date('2026-11-05T10:00:00.000Z')
      expect((await storage.apiKeys.revoke(b.id, at))?.revokedAt).toEqual(at)
      expect((await storage.apiKeys.revoke(b.id, new Date()))?.revokedAt).toEqual(at)
      expect(await storage.apiKeys.revoke(randomUUID())).toBeUndefined()
      expect(await storage.apiKeys.countActive()).toBe(1)

      await storage.apiKeys.touch(a.id, at)
      expect((await storage.apiKeys.get(a.id))?.lastUsedAt).toEqual(at)
      expect((await storage.apiKeys.list()).map((k) => k.name).sort()).toEqual(['a', 'b'])
    })

    it('creates plants and lines only when new, under an existing plant', async () => {
      expect(await storage.plants.create({ id: 'plant-new', name: 'New' })).toMatchObject({ id: 'plant-new' })
      expect(await storage.plants.create({ id: 'plant-new', name: 'Renamed' })).toBeUndefined()
      expect((await storage.plants.get('plant-new'))?.name).toBe('New')
      expect(
        await storage.lines.create({
          id: 'line-new',
          plantId: 'plant-new',
          name: 'L',
          edgeUrl: 'http://e:7070',
        }),
      ).toMatchObject({ id: 'line-new', edgeUrl: 'http://e:7070' })
      expect(
        await storage.lines.create({ id: 'line-new', plantId: 'plant-new', name: 'Other' }),
      ).toBeUndefined()
      await expect(
        storage.lines.create({ id: 'line-x', plantId: 'no-plant', name: 'L' }),
      ).rejects.toMatchObject({
        code: 'DB_NOT_FOUND',
      })
    })

    it('lists and counts inspections of the given plants only', async () => {
      for (const plantId of ['scope-a', 'scope-b', 'scope-c']) {
        await storage.inspections.upsert({
          id: randomUUID(),
          lineId: `${plantId}-line`,
          plantId,
          receivedAt: new Date('2026-11-01T00:00:00Z'),
        })
      }
      const page = await storage.inspections.list(
        { plantIds: ['scope-a', 'scope-c'] },
        { first: 10, after: null },
      )
      expect(page.rows.map((r) => r.plantId).sort()).toEqual(['scope-a', 'scope-c'])
      expect(await storage.inspections.count({ plantIds: ['scope-b'] })).toBe(1)
      expect(await storage.inspections.count({ plantIds: [] })).toBe(0)
    })
  })
}
