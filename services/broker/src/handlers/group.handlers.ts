import { KafkaError } from '../protocol/error-codes.ts'
import type {
  DescribeGroupsRequest,
  DescribeGroupsResponse,
} from '../protocol/messages/describe-groups.v0.ts'
import type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
} from '../protocol/messages/find-coordinator.v0.ts'
import type { ErrorOnlyResponse, HeartbeatRequest } from '../protocol/messages/heartbeat.v0.ts'
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages/join-group.v0.ts'
import type { LeaveGroupRequest } from '../protocol/messages/leave-group.v0.ts'
import type { ListGroupsResponse } from '../protocol/messages/list-groups.v0.ts'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/offset-commit.v1.ts'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/messages/offset-fetch.v1.ts'
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages/sync-group.v0.ts'
import type { RequestContext } from './context.ts'

const TRANSACTION_KEY = 1

/** This node coordinates every group; transaction coordinators are refused (no transactions). */
export function handleFindCoordinator(
  req: FindCoordinatorRequest,
  ctx: RequestContext,
): FindCoordinatorResponse {
  const { core } = ctx
  if (req.keyType === TRANSACTION_KEY) {
    core.log.warn(
      { client: ctx.clientId, transactionalId: req.key },
      'refused transaction coordinator lookup',
    )
    return {
      errorCode: KafkaError.INVALID_REQUEST,
      errorMessage:
        'transactions are not supported by the tokenline broker; use Apache Kafka for transactional producers',
      nodeId: -1,
      host: '',
      port: -1,
    }
  }
  return {
    errorCode: 0,
    errorMessage: null,
    nodeId: core.nodeId,
    host: core.advertised.host,
    port: core.advertised.port,
  }
}

export function handleJoinGroup(req: JoinGroupRequest, ctx: RequestContext): Promise<JoinGroupResponse> {
  return ctx.core.groups.join(req, ctx.clientId, ctx.clientHost, ctx.apiVersion)
}

export function handleSyncGroup(req: SyncGroupRequest, ctx: RequestContext): Promise<SyncGroupResponse> {
  return ctx.core.groups.sync(req)
}

export function handleHeartbeat(req: HeartbeatRequest, ctx: RequestContext): ErrorOnlyResponse {
  return { errorCode: ctx.core.groups.heartbeat(req) }
}

export function handleLeaveGroup(req: LeaveGroupRequest, ctx: RequestContext): ErrorOnlyResponse {
  return { errorCode: ctx.core.groups.leave(req) }
}

export function handleOffsetCommit(req: OffsetCommitRequest, ctx: RequestContext): OffsetCommitResponse {
  const res = ctx.core.groups.commitOffsets(req)
  if (ctx.core.config.fsync === 'always') ctx.core.offsets.flush()
  return res
}

/** Committed offsets, -1 where none; a null topic list returns every committed partition. */
export function handleOffsetFetch(req: OffsetFetchRequest, ctx: RequestContext): OffsetFetchResponse {
  const { offsets } = ctx.core
  if (req.topics === null) {
    const byTopic = new Map<string, OffsetFetchResponse['topics'][number]>()
    for (const e of offsets.all(req.groupId)) {
      let t = byTopic.get(e.topic)
      if (!t) {
        t = { name: e.topic, partitions: [] }
        byTopic.set(e.topic, t)
      }
      t.partitions.push({ index: e.partition, offset: e.offset, metadata: e.metadata, errorCode: 0 })
    }
    return { topics: [...byTopic.values()] }
  }
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((index) => {
        const c = offsets.get(req.groupId, t.name, index)
        return { index, offset: c?.offset ?? -1, metadata: c?.metadata ?? '', errorCode: 0 }
      }),
    })),
  }
}

export function handleDescribeGroups(
  req: DescribeGroupsRequest,
  ctx: RequestContext,
): DescribeGroupsResponse {
  return { groups: req.groups.map((g) => ctx.core.groups.describe(g)) }
}

export function handleListGroups(_req: unknown, ctx: RequestContext): ListGroupsResponse {
  return { errorCode: 0, groups: ctx.core.groups.list() }
}
