import { randomUUID } from 'node:crypto'
import type { Logger } from '../../../../lib/log/index.ts'
import { KafkaError } from '../protocol/error-codes.ts'
import type { DescribedGroup } from '../protocol/messages/describe-groups.v0.ts'
import type { HeartbeatRequest } from '../protocol/messages/heartbeat.v0.ts'
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages/join-group.v0.ts'
import type { LeaveGroupRequest } from '../protocol/messages/leave-group.v0.ts'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/offset-commit.v1.ts'
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages/sync-group.v0.ts'
import type { OffsetStore } from '../storage/offset-store.ts'
import { Group, type Member } from './group.ts'

export type GroupSettings = {
  /** Smallest session timeout a member may ask for, ms (Kafka group.min.session.timeout.ms). */
  minSessionTimeoutMs: number
  /** Largest session timeout a member may ask for, ms (Kafka group.max.session.timeout.ms). */
  maxSessionTimeoutMs: number
  /** How long the first rebalance of an empty group waits for more members, ms. */
  initialRebalanceDelayMs: number
}

const joinError = (errorCode: number, memberId = ''): JoinGroupResponse => ({
  errorCode,
  generationId: -1,
  protocolName: '',
  leader: '',
  memberId,
  members: [],
})

const syncError = (errorCode: number): SyncGroupResponse => ({ errorCode, assignment: Buffer.alloc(0) })

/**
 * The group coordinator: Kafka's classic rebalance protocol for one node. Members join
 * (getting a member id via MEMBER_ID_REQUIRED from JoinGroup v4), the group waits until every
 * known member has rejoined or the rebalance timeout passes, the leader receives all
 * subscriptions and hands out assignments through SyncGroup, and members that stop heartbeating
 * for their session timeout are evicted, which starts the next generation.
 */
export class GroupCoordinator {
  readonly groups = new Map<string, Group>()
  private readonly expiryTimer: NodeJS.Timeout

  constructor(
    private readonly settings: GroupSettings,
    private readonly offsets: OffsetStore,
    private readonly partitionExists: (topic: string, partition: number) => boolean,
    private readonly log: Logger,
  ) {
    this.expiryTimer = setInterval(() => this.expireMembers(Date.now()), 250)
    this.expiryTimer.unref()
  }

  private group(groupId: string): Group {
    let g = this.groups.get(groupId)
    if (!g) {
      g = new Group(groupId)
      this.groups.set(groupId, g)
    }
    return g
  }

  join(
    req: JoinGroupRequest,
    clientId: string,
    clientHost: string,
    version: number,
  ): Promise<JoinGroupResponse> {
    if (req.groupId === '') return Promise.resolve(joinError(KafkaError.INVALID_GROUP_ID))
    if (
      req.sessionTimeoutMs < this.settings.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.settings.maxSessionTimeoutMs
    )
      return Promise.resolve(joinError(KafkaError.INVALID_SESSION_TIMEOUT))
    const g = this.group(req.groupId)
    const now = Date.now()
    if (!g.supports(req.protocolType, req.protocols) || req.protocols.length === 0)
      return Promise.resolve(joinError(KafkaError.INCONSISTENT_GROUP_PROTOCOL))

    if (req.memberId === '') {
      const memberId = `${clientId}-${randomUUID()}`
      if (version >= 4) {
        g.pending.set(memberId, now + req.sessionTimeoutMs)
        return Promise.resolve(joinError(KafkaError.MEMBER_ID_REQUIRED, memberId))
      }
      return this.addMember(g, memberId, req, clientId, clientHost, now)
    }
    if (g.pending.has(req.memberId)) {
      g.pending.delete(req.memberId)
      return this.addMember(g, req.memberId, req, clientId, clientHost, now)
    }
    const member = g.members.get(req.memberId)
    if (!member) return Promise.resolve(joinError(KafkaError.UNKNOWN_MEMBER_ID, req.memberId))

    const unchanged =
      member.protocols.length === req.protocols.length &&
      member.protocols.every(
        (p, i) => p.name === req.protocols[i]!.name && p.metadata.equals(req.protocols[i]!.metadata),
      )
    member.lastSeen = now
    member.sessionTimeoutMs = req.sessionTimeoutMs
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
    member.protocols = req.protocols
    if (
      unchanged &&
      (g.state === 'CompletingRebalance' || (g.state === 'Stable' && member.memberId !== g.leaderId))
    )
      return Promise.resolve(this.joinResponse(g, member))
    return new Promise((resolve) => {
      member.joinWaiter?.(joinError(KafkaError.UNKNOWN_MEMBER_ID, member.memberId))
      member.joinWaiter = resolve
      if (g.state !== 'PreparingRebalance') this.prepareRebalance(g, `member ${member.memberId} rejoined`)
      this.maybeCompleteJoin(g, false)
    })
  }

  private addMember(
    g: Group,
    memberId: string,
    req: JoinGroupRequest,
    clientId: string,
    clientHost: string,
    now: number,
  ): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      const member: Member = {
        memberId,
        clientId,
        clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols,
        assignment: Buffer.alloc(0),
        lastSeen: now,
        joinWaiter: resolve,
      }
      if (g.members.size === 0) g.protocolType = req.protocolType
      g.members.set(memberId, member)
      if (g.state !== 'PreparingRebalance') this.prepareRebalance(g, `member ${memberId} joined`)
      this.maybeCompleteJoin(g, false)
    })
  }

  private prepareRebalance(g: Group, reason: string): void {
    const wasEmpty = g.state === 'Empty' || g.state === 'Dead'
    for (const m of g.members.values()) {
      if (m.syncWaiter) {
        m.syncWaiter(syncError(KafkaError.REBALANCE_IN_PROGRESS))
        m.syncWaiter = undefined
      }
    }
    g.state = 'PreparingRebalance'
    let timeout = 0
    for (const m of g.members.values()) timeout = Math.max(timeout, m.rebalanceTimeoutMs)
    const now = Date.now()
    g.joinNotBefore = wasEmpty ? now + this.settings.initialRebalanceDelayMs : 0
    clearTimeout(g.rebalanceTimer)
    g.rebalanceTimer = setTimeout(() => this.maybeCompleteJoin(g, true), Math.max(timeout, 1))
    g.rebalanceTimer.unref()
    if (g.joinNotBefore > now)
      setTimeout(() => this.maybeCompleteJoin(g, false), g.joinNotBefore - now).unref()
    this.log.info({ group: g.groupId, generation: g.generationId, reason }, 'rebalancing group')
  }

  /** Completes the join phase when every member has rejoined, or with `force` at the rebalance timeout. */
  private maybeCompleteJoin(g: Group, force: boolean): void {
    if (g.state !== 'PreparingRebalance') return
    const all = [...g.members.values()].every((m) => m.joinWaiter) && g.pending.size === 0
    if (!force && (!all || Date.now() < g.joinNotBefore)) return
    clearTimeout(g.rebalanceTimer)
    g.rebalanceTimer = undefined
    for (const m of [...g.members.values()]) {
      if (!m.joinWaiter) {
        g.members.delete(m.memberId)
        this.log.info(
          { group: g.groupId, member: m.memberId },
          'member did not rejoin before the rebalance timeout',
        )
      }
    }
    g.pending.clear()
    g.generationId++
    if (g.members.size === 0) {
      g.state = 'Empty'
      g.protocolName = ''
      g.leaderId = ''
      return
    }
    g.protocolName = g.selectProtocol()
    if (!g.members.has(g.leaderId)) g.leaderId = g.members.keys().next().value!
    g.state = 'CompletingRebalance'
    const now = Date.now()
    for (const m of g.members.values()) {
      m.lastSeen = now
      m.assignment = Buffer.alloc(0)
      const waiter = m.joinWaiter!
      m.joinWaiter = undefined
      waiter(this.joinResponse(g, m))
    }
    this.log.info(
      { group: g.groupId, generation: g.generationId, members: g.members.size, protocol: g.protocolName },
      'group generation formed',
    )
  }

  private joinResponse(g: Group, m: Member): JoinGroupResponse {
    const isLeader = m.memberId === g.leaderId
    return {
      errorCode: 0,
      generationId: g.generationId,
      protocolName: g.protocolName,
      leader: g.leaderId,
      memberId: m.memberId,
      members: isLeader
        ? [...g.members.values()].map((x) => ({
            memberId: x.memberId,
            metadata: g.metadataFor(x, g.protocolName),
          }))
        : [],
    }
  }

  sync(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    const g = this.groups.get(req.groupId)
    const m = g?.members.get(req.memberId)
    if (!g || !m) return Promise.resolve(syncError(KafkaError.UNKNOWN_MEMBER_ID))
    if (req.generationId !== g.generationId) return Promise.resolve(syncError(KafkaError.ILLEGAL_GENERATION))
    m.lastSeen = Date.now()
    if (g.state === 'PreparingRebalance') return Promise.resolve(syncError(KafkaError.REBALANCE_IN_PROGRESS))
    if (g.state === 'Stable') return Promise.resolve({ errorCode: 0, assignment: m.assignment })
    return new Promise((resolve) => {
      m.syncWaiter?.(syncError(KafkaError.REBALANCE_IN_PROGRESS))
      m.syncWaiter = resolve
      if (req.memberId !== g.leaderId) return
      const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]))
      for (const member of g.members.values())
        member.assignment = given.get(member.memberId) ?? Buffer.alloc(0)
      g.state = 'Stable'
      for (const member of g.members.values()) {
        const waiter = member.syncWaiter
        member.syncWaiter = undefined
        waiter?.({ errorCode: 0, assignment: member.assignment })
      }
      this.log.info({ group: g.groupId, generation: g.generationId }, 'group stable')
    })
  }

  heartbeat(req: HeartbeatRequest): number {
    const g = this.groups.get(req.groupId)
    const m = g?.members.get(req.memberId)
    if (!g || !m) return KafkaError.UNKNOWN_MEMBER_ID
    m.lastSeen = Date.now()
    if (req.generationId !== g.generationId) return KafkaError.ILLEGAL_GENERATION
    if (g.state === 'PreparingRebalance') return KafkaError.REBALANCE_IN_PROGRESS
    return KafkaError.NONE
  }

  leave(req: LeaveGroupRequest): number {
    const g = this.groups.get(req.groupId)
    if (g?.pending.delete(req.memberId)) {
      this.maybeCompleteJoin(g, false)
      return KafkaError.NONE
    }
    const m = g?.members.get(req.memberId)
    if (!g || !m) return KafkaError.UNKNOWN_MEMBER_ID
    this.removeMember(g, m, 'left the group')
    return KafkaError.NONE
  }

  private removeMember(g: Group, m: Member, reason: string): void {
    g.members.delete(m.memberId)
    m.joinWaiter?.(joinError(KafkaError.UNKNOWN_MEMBER_ID, m.memberId))
    m.syncWaiter?.(syncError(KafkaError.UNKNOWN_MEMBER_ID))
    this.log.info({ group: g.groupId, member: m.memberId, reason }, 'member removed')
    if (g.state === 'Stable' || g.state === 'CompletingRebalance')
      this.prepareRebalance(g, `member ${m.memberId} ${reason}`)
    this.maybeCompleteJoin(g, false)
    if (g.state === 'PreparingRebalance' && g.members.size === 0) this.maybeCompleteJoin(g, true)
  }

  /** Evicts members whose session timed out and pending member ids nobody used. */
  expireMembers(now: number): void {
    for (const g of this.groups.values()) {
      for (const [id, expires] of g.pending) if (expires < now) g.pending.delete(id)
      for (const m of [...g.members.values()]) {
        if (m.joinWaiter || m.syncWaiter) continue
        if (now - m.lastSeen > m.sessionTimeoutMs) this.removeMember(g, m, 'session timed out')
      }
      if (g.state === 'PreparingRebalance') this.maybeCompleteJoin(g, false)
    }
  }

  commitOffsets(req: OffsetCommitRequest): OffsetCommitResponse {
    const g = this.groups.get(req.groupId)
    const all = (errorCode: number): OffsetCommitResponse => ({
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ index: p.index, errorCode })),
      })),
    })
    if (req.groupId === '') return all(KafkaError.INVALID_GROUP_ID)
    const simple = req.generationId < 0 && (!g || g.state === 'Empty' || g.members.size === 0)
    if (!simple) {
      const m = g?.members.get(req.memberId)
      if (!g || !m) return all(KafkaError.UNKNOWN_MEMBER_ID)
      if (g.state === 'CompletingRebalance') return all(KafkaError.REBALANCE_IN_PROGRESS)
      if (req.generationId !== g.generationId) return all(KafkaError.ILLEGAL_GENERATION)
      m.lastSeen = Date.now()
    }
    const entries: { topic: string; partition: number; offset: number; metadata: string | null }[] = []
    const res: OffsetCommitResponse = {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (!this.partitionExists(t.name, p.index))
            return { index: p.index, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION }
          entries.push({ topic: t.name, partition: p.index, offset: p.offset, metadata: p.metadata })
          return { index: p.index, errorCode: 0 }
        }),
      })),
    }
    try {
      this.offsets.commit(req.groupId, entries)
    } catch (err) {
      this.log.error({ err, group: req.groupId }, 'offset commit write failed')
      return all(KafkaError.COORDINATOR_NOT_AVAILABLE)
    }
    if (!g) this.group(req.groupId)
    return res
  }

  describe(groupId: string): DescribedGroup {
    const g = this.groups.get(groupId)
    if (!g) {
      const known = this.offsets.all(groupId).length > 0
      return {
        errorCode: 0,
        groupId,
        state: known ? 'Empty' : 'Dead',
        protocolType: known ? 'consumer' : '',
        protocolData: '',
        members: [],
      }
    }
    const showMembers = g.state === 'Stable' || g.state === 'CompletingRebalance'
    return {
      errorCode: 0,
      groupId,
      state: g.state,
      protocolType: g.protocolType || 'consumer',
      protocolData: g.state === 'Stable' ? g.protocolName : '',
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: showMembers ? g.metadataFor(m, g.protocolName) : Buffer.alloc(0),
        assignment: g.state === 'Stable' ? m.assignment : Buffer.alloc(0),
      })),
    }
  }

  list(): { groupId: string; protocolType: string }[] {
    const ids = new Set([...this.groups.keys(), ...this.offsets.groupIds()])
    return [...ids].map((groupId) => ({
      groupId,
      protocolType: this.groups.get(groupId)?.protocolType || 'consumer',
    }))
  }

  close(): void {
    clearInterval(this.expiryTimer)
    for (const g of this.groups.values()) {
      clearTimeout(g.rebalanceTimer)
      for (const m of g.members.values()) {
        m.joinWaiter?.(joinError(KafkaError.COORDINATOR_NOT_AVAILABLE, m.memberId))
        m.syncWaiter?.(syncError(KafkaError.COORDINATOR_NOT_AVAILABLE))
      }
    }
  }
}
