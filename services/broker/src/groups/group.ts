import type { JoinGroupResponse } from '../protocol/messages/join-group.v0.ts'
import type { SyncGroupResponse } from '../protocol/messages/sync-group.v0.ts'

/** Kafka's group states, with the same names DescribeGroups reports. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export type Member = {
  memberId: string
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocolType: string
  protocols: { name: string; metadata: Buffer }[]
  assignment: Buffer
  /** Last join, sync, heartbeat or commit (ms since epoch); drives session expiry. */
  lastSeen: number
  joinWaiter?: (res: JoinGroupResponse) => void
  syncWaiter?: (res: SyncGroupResponse) => void
}

export class Group {
  state: GroupState = 'Empty'
  generationId = 0
  protocolType = ''
  protocolName = ''
  leaderId = ''
  readonly members = new Map<string, Member>()
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the time they expire (ms). */
  readonly pending = new Map<string, number>()
  rebalanceTimer: NodeJS.Timeout | undefined
  /** During the initial rebalance delay of an empty group, joins are collected until this time. */
  joinNotBefore = 0

  constructor(readonly groupId: string) {}

  /** The protocol every member supports, chosen by vote over members' preference order. */
  selectProtocol(): string {
    const members = [...this.members.values()]
    const candidates = members[0]!.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
    const votes = new Map<string, number>()
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1)
    }
    let best = candidates[0]!
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c
    return best
  }

  /** True when a member with these protocols could join the current members. */
  supports(protocolType: string, protocols: { name: string }[]): boolean {
    if (this.members.size === 0) return true
    if (protocolType !== this.protocolType) return false
    return protocols.some((p) =>
      [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)),
    )
  }

  metadataFor(member: Member, protocol: string): Buffer {
    return member.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0)
  }
}
