import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { GroupCoordinator } from '../../../../../services/broker/src/groups/group-coordinator.ts'
import type { JoinGroupRequest } from '../../../../../services/broker/src/protocol/messages/join-group.v0.ts'
import { OffsetStore } from '../../../../../services/broker/src/storage/offset-store.ts'

const log = pino({ level: 'silent' })
const coordinators: GroupCoordinator[] = []

function coordinator() {
  const offsets = new OffsetStore(mkdtempSync(join(tmpdir(), 'gc-')), log)
  const c = new GroupCoordinator(
    { minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0 },
    offsets,
    () => true,
    log,
  )
  coordinators.push(c)
  return c
}

afterEach(() => {
  for (const c of coordinators.splice(0)) c.close()
})

const joinReq = (memberId: string, meta = 'm'): JoinGroupRequest => ({
  groupId: 'g',
  sessionTimeoutMs: 1000,
  rebalanceTimeoutMs: 2000,
  memberId,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from(meta) }],
})

async function joinV4(c: GroupCoordinator, client: string) {
  const first = await c.join(joinReq(''), client, '/127.0.0.1', 4)
  expect(first.errorCode).toBe(79)
  expect(first.memberId).toMatch(new RegExp(`^${client}-`))
  return first.memberId
}

describe('GroupCoordinator', () => {
  it('requires a member id on JoinGroup v4, forms a generation and hands the leader all members', async () => {
    const c = coordinator()
    const a = await joinV4(c, 'a')
    const b = await joinV4(c, 'b')
    const [ja, jb] = await Promise.all([
      c.join(joinReq(a, 'ma'), 'a', '/h', 4),
      c.join(joinReq(b, 'mb'), 'b', '/h', 4),
    ])
    expect(ja.errorCode).toBe(0)
    expect(ja.generationId).toBe(jb.generationId)
    const leader = ja.leader === a ? ja : jb
    const follower = ja.leader === a ? jb : ja
    expect(leader.members.map((m) => m.metadata.toString()).sort()).toEqual(['ma', 'mb'])
    expect(follower.members).toEqual([])

    const followerSync = c.sync({
      groupId: 'g',
      generationId: follower.generationId,
      memberId: follower.memberId,
      assignments: [],
    })
    const leaderSync = c.sync({
      groupId: 'g',
      generationId: leader.generationId,
      memberId: leader.memberId,
      assignments: [
        { memberId: a, assignment: Buffer.from('for-a') },
        { memberId: b, assignment: Buffer.from('for-b') },
      ],
    })
    const [fs, ls] = await Promise.all([followerSync, leaderSync])
    expect([fs.assignment.toString(), ls.assignment.toString()].sort()).toEqual(['for-a', 'for-b'])
    expect(c.describe('g').state).toBe('Stable')
  })

  it('answers v0–v3 joins without MEMBER_ID_REQUIRED', async () => {
    const c = coordinator()
    const res = await c.join(joinReq(''), 'old', '/h', 2)
    expect(res.errorCode).toBe(0)
    expect(res.leader).toBe(res.memberId)
  })

  it('evicts a member whose session times out and tells the survivor to rejoin', async () => {
    const c = coordinator()
    const a = await joinV4(c, 'a')
    const b = await joinV4(c, 'b')
    const [ja] = await Promise.all([c.join(joinReq(a), 'a', '/h', 4), c.join(joinReq(b), 'b', '/h', 4)])
    const gen = ja.generationId
    await Promise.all([
      c.sync({ groupId: 'g', generationId: gen, memberId: a, assignments: [] }),
      c.sync({ groupId: 'g', generationId: gen, memberId: b, assignments: [] }),
    ])
    expect(c.heartbeat({ groupId: 'g', generationId: gen, memberId: a })).toBe(0)
    const later = Date.now() + 1500
    c.groups.get('g')!.members.get(a)!.lastSeen = later
    c.expireMembers(later)
    expect(c.groups.get('g')!.members.has(b)).toBe(false)
    expect(c.heartbeat({ groupId: 'g', generationId: gen, memberId: a })).toBe(27)
    expect(c.heartbeat({ groupId: 'g', generationId: gen, memberId: b })).toBe(25)
    const rejoin = await c.join(joinReq(a), 'a', '/h', 4)
    expect(rejoin.generationId).toBe(gen + 1)
    expect(rejoin.members.map((m) => m.memberId)).toEqual([a])
  })

  it('rejects stale generations, unknown members and session timeouts out of range', async () => {
    const c = coordinator()
    const a = await joinV4(c, 'a')
    const ja = await c.join(joinReq(a), 'a', '/h', 4)
    expect(
      (await c.sync({ groupId: 'g', generationId: ja.generationId + 5, memberId: a, assignments: [] }))
        .errorCode,
    ).toBe(22)
    expect(c.heartbeat({ groupId: 'g', generationId: ja.generationId, memberId: 'nobody' })).toBe(25)
    await c.sync({ groupId: 'g', generationId: ja.generationId, memberId: a, assignments: [] })
    expect((await c.join({ ...joinReq(''), sessionTimeoutMs: 10 }, 'x', '/h', 4)).errorCode).toBe(26)
    expect(
      c.commitOffsets({
        groupId: 'g',
        generationId: ja.generationId - 1,
        memberId: a,
        topics: [{ name: 't', partitions: [{ index: 0, offset: 1, metadata: null }] }],
      }).topics[0]!.partitions[0]!.errorCode,
    ).toBe(22)
  })
})
