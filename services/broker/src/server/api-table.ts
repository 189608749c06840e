import {
  handleCreateTopics,
  handleDeleteTopics,
  handleDescribeConfigs,
  handleInitProducerId,
} from '../handlers/admin.handlers.ts'
import type { RequestContext } from '../handlers/context.ts'
import { handleFetch } from '../handlers/fetch.handler.ts'
import {
  handleDescribeGroups,
  handleFindCoordinator,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleOffsetCommit,
  handleOffsetFetch,
  handleSyncGroup,
} from '../handlers/group.handlers.ts'
import { handleListOffsets } from '../handlers/list-offsets.handler.ts'
import { handleMetadata } from '../handlers/metadata.handler.ts'
import { handleProduce } from '../handlers/produce.handler.ts'
import { ApiKey } from '../protocol/api-keys.ts'
import { type ApiVersionRange, encodeApiVersionsResponseV0 } from '../protocol/messages/api-versions.v0.ts'
import { encodeApiVersionsResponseV1 } from '../protocol/messages/api-versions.v1.ts'
import * as createTopics0 from '../protocol/messages/create-topics.v0.ts'
import * as createTopics1 from '../protocol/messages/create-topics.v1.ts'
import { encodeCreateTopicsResponseV2 } from '../protocol/messages/create-topics.v2.ts'
import * as deleteTopics from '../protocol/messages/delete-topics.v0.ts'
import * as describeConfigs from '../protocol/messages/describe-configs.v0.ts'
import * as describeGroups from '../protocol/messages/describe-groups.v0.ts'
import { decodeFetchRequestV0, encodeFetchResponseV0 } from '../protocol/messages/fetch.v0.ts'
import { encodeFetchResponseV1 } from '../protocol/messages/fetch.v1.ts'
import { decodeFetchRequestV3 } from '../protocol/messages/fetch.v3.ts'
import { decodeFetchRequestV4, encodeFetchResponseV4 } from '../protocol/messages/fetch.v4.ts'
import { decodeFetchRequestV5, encodeFetchResponseV5 } from '../protocol/messages/fetch.v5.ts'
import { decodeFetchRequestV7, encodeFetchResponseV7 } from '../protocol/messages/fetch.v7.ts'
import { decodeFetchRequestV9 } from '../protocol/messages/fetch.v9.ts'
import { decodeFetchRequestV11, encodeFetchResponseV11 } from '../protocol/messages/fetch.v11.ts'
import * as findCoordinator0 from '../protocol/messages/find-coordinator.v0.ts'
import * as findCoordinator1 from '../protocol/messages/find-coordinator.v1.ts'
import * as heartbeat from '../protocol/messages/heartbeat.v0.ts'
import * as initProducerId from '../protocol/messages/init-producer-id.v0.ts'
import * as joinGroup0 from '../protocol/messages/join-group.v0.ts'
import { decodeJoinGroupRequestV1 } from '../protocol/messages/join-group.v1.ts'
import { encodeJoinGroupResponseV2 } from '../protocol/messages/join-group.v2.ts'
import { decodeLeaveGroupRequestV0 } from '../protocol/messages/leave-group.v0.ts'
import * as listGroups from '../protocol/messages/list-groups.v0.ts'
import * as listOffsets0 from '../protocol/messages/list-offsets.v0.ts'
import * as listOffsets1 from '../protocol/messages/list-offsets.v1.ts'
import * as listOffsets2 from '../protocol/messages/list-offsets.v2.ts'
import * as listOffsets4 from '../protocol/messages/list-offsets.v4.ts'
import { decodeMetadataRequestV0, encodeMetadataResponseV0 } from '../protocol/messages/metadata.v0.ts'
import { decodeMetadataRequestV1, encodeMetadataResponseV1 } from '../protocol/messages/metadata.v1.ts'
import { encodeMetadataResponseV2, encodeMetadataResponseV3 } from '../protocol/messages/metadata.v2.ts'
import { decodeMetadataRequestV4, encodeMetadataResponseV4 } from '../protocol/messages/metadata.v4.ts'
import { decodeOffsetCommitRequestV0 } from '../protocol/messages/offset-commit.v0.ts'
import * as offsetCommit1 from '../protocol/messages/offset-commit.v1.ts'
import { decodeOffsetCommitRequestV2 } from '../protocol/messages/offset-commit.v2.ts'
import { encodeOffsetCommitResponseV3 } from '../protocol/messages/offset-commit.v3.ts'
import * as offsetCommit5 from '../protocol/messages/offset-commit.v5.ts'
import * as offsetFetch from '../protocol/messages/offset-fetch.v1.ts'
import * as offsetFetch2 from '../protocol/messages/offset-fetch.v2.ts'
import * as produce0 from '../protocol/messages/produce.v0.ts'
import { encodeProduceResponseV1 } from '../protocol/messages/produce.v1.ts'
import { encodeProduceResponseV2 } from '../protocol/messages/produce.v2.ts'
import * as produce3 from '../protocol/messages/produce.v3.ts'
import { encodeProduceResponseV5 } from '../protocol/messages/produce.v5.ts'
import * as syncGroup0 from '../protocol/messages/sync-group.v0.ts'
import { encodeSyncGroupResponseV1 } from '../protocol/messages/sync-group.v1.ts'
import type { Reader } from '../protocol/reader.ts'
import type { Writer } from '../protocol/writer.ts'

/** One wire version of one API: how to read its request and write its response. */
type VersionCodec<Req, Res> = { decode: (r: Reader) => Req; encode: (w: Writer, res: Res) => void }

/** A handler may answer later (long-poll Fetch, JoinGroup) or not at all (Produce with acks=0). */
export type Handler<Req, Res> = (req: Req, ctx: RequestContext) => Res | null | Promise<Res>

export type ApiDefinition = {
  key: number
  name: string
  minVersion: number
  maxVersion: number
  codec: (version: number) => VersionCodec<unknown, unknown>
  handle: Handler<unknown, unknown>
}

function api<Req, Res>(
  key: number,
  name: string,
  versions: Record<number, VersionCodec<Req, Res>>,
  handle: Handler<Req, Res>,
): ApiDefinition {
  const nums = Object.keys(versions).map(Number)
  return {
    key,
    name,
    minVersion: Math.min(...nums),
    maxVersion: Math.max(...nums),
    codec: (v) => versions[v] as VersionCodec<unknown, unknown>,
    handle: handle as Handler<unknown, unknown>,
  }
}

const same = <Req, Res>(codec: VersionCodec<Req, Res>, ...versions: number[]) =>
  Object.fromEntries(versions.map((v) => [v, codec])) as Record<number, VersionCodec<Req, Res>>

const produceV3 = { decode: produce3.decodeProduceRequestV3, encode: produce3.encodeProduceResponseV3 }
const produceV5 = { decode: produce3.decodeProduceRequestV3, encode: encodeProduceResponseV5 }
const joinV0 = { decode: joinGroup0.decodeJoinGroupRequestV0, encode: joinGroup0.encodeJoinGroupResponseV0 }
const joinV1 = { decode: decodeJoinGroupRequestV1, encode: joinGroup0.encodeJoinGroupResponseV0 }
const joinV2 = { decode: decodeJoinGroupRequestV1, encode: encodeJoinGroupResponseV2 }
const findV1 = {
  decode: findCoordinator1.decodeFindCoordinatorRequestV1,
  encode: findCoordinator1.encodeFindCoordinatorResponseV1,
}

/** The APIs served, with exactly the versions implemented (advertised by ApiVersions). */
export const apis: ApiDefinition[] = [
  api(
    ApiKey.Produce,
    'Produce',
    {
      0: { decode: produce0.decodeProduceRequestV0, encode: produce0.encodeProduceResponseV0 },
      1: { decode: produce0.decodeProduceRequestV0, encode: encodeProduceResponseV1 },
      2: { decode: produce0.decodeProduceRequestV0, encode: encodeProduceResponseV2 },
      ...same(produceV3, 3, 4),
      ...same(produceV5, 5, 6, 7),
    },
    handleProduce,
  ),
  api(
    ApiKey.Fetch,
    'Fetch',
    {
      0: { decode: decodeFetchRequestV0, encode: encodeFetchResponseV0 },
      ...same({ decode: decodeFetchRequestV0, encode: encodeFetchResponseV1 }, 1, 2),
      3: { decode: decodeFetchRequestV3, encode: encodeFetchResponseV1 },
      4: { decode: decodeFetchRequestV4, encode: encodeFetchResponseV4 },
      ...same({ decode: decodeFetchRequestV5, encode: encodeFetchResponseV5 }, 5, 6),
      ...same({ decode: decodeFetchRequestV7, encode: encodeFetchResponseV7 }, 7, 8),
      ...same({ decode: decodeFetchRequestV9, encode: encodeFetchResponseV7 }, 9, 10),
      11: { decode: decodeFetchRequestV11, encode: encodeFetchResponseV11 },
    },
    handleFetch,
  ),
  api(
    ApiKey.ListOffsets,
    'ListOffsets',
    {
      0: {
        decode: listOffsets0.decodeListOffsetsRequestV0,
        encode: listOffsets0.encodeListOffsetsResponseV0,
      },
      1: {
        decode: listOffsets1.decodeListOffsetsRequestV1,
        encode: listOffsets1.encodeListOffsetsResponseV1,
      },
      ...same(
        { decode: listOffsets2.decodeListOffsetsRequestV2, encode: listOffsets2.encodeListOffsetsResponseV2 },
        2,
        3,
      ),
      ...same(
        { decode: listOffsets4.decodeListOffsetsRequestV4, encode: listOffsets4.encodeListOffsetsResponseV4 },
        4,
        5,
      ),
    },
    handleListOffsets,
  ),
  api(
    ApiKey.Metadata,
    'Metadata',
    {
      0: { decode: decodeMetadataRequestV0, encode: encodeMetadataResponseV0 },
      1: { decode: decodeMetadataRequestV1, encode: encodeMetadataResponseV1 },
      2: { decode: decodeMetadataRequestV1, encode: encodeMetadataResponseV2 },
      3: { decode: decodeMetadataRequestV1, encode: encodeMetadataResponseV3 },
      4: { decode: decodeMetadataRequestV4, encode: encodeMetadataResponseV4 },
    },
    handleMetadata,
  ),
  api(
    ApiKey.OffsetCommit,
    'OffsetCommit',
    {
      0: { decode: decodeOffsetCommitRequestV0, encode: offsetCommit1.encodeOffsetCommitResponseV0 },
      1: {
        decode: offsetCommit1.decodeOffsetCommitRequestV1,
        encode: offsetCommit1.encodeOffsetCommitResponseV0,
      },
      2: { decode: decodeOffsetCommitRequestV2, encode: offsetCommit1.encodeOffsetCommitResponseV0 },
      ...same({ decode: decodeOffsetCommitRequestV2, encode: encodeOffsetCommitResponseV3 }, 3, 4),
      5: { decode: offsetCommit5.decodeOffsetCommitRequestV5, encode: encodeOffsetCommitResponseV3 },
      6: { decode: offsetCommit5.decodeOffsetCommitRequestV6, encode: encodeOffsetCommitResponseV3 },
      7: { decode: offsetCommit5.decodeOffsetCommitRequestV7, encode: encodeOffsetCommitResponseV3 },
    },
    handleOffsetCommit,
  ),
  api(
    ApiKey.OffsetFetch,
    'OffsetFetch',
    {
      ...same(
        { decode: offsetFetch.decodeOffsetFetchRequestV1, encode: offsetFetch.encodeOffsetFetchResponseV1 },
        0,
        1,
      ),
      2: { decode: offsetFetch.decodeOffsetFetchRequestV1, encode: offsetFetch2.encodeOffsetFetchResponseV2 },
      ...same(
        { decode: offsetFetch.decodeOffsetFetchRequestV1, encode: offsetFetch2.encodeOffsetFetchResponseV3 },
        3,
        4,
      ),
      5: { decode: offsetFetch.decodeOffsetFetchRequestV1, encode: offsetFetch2.encodeOffsetFetchResponseV5 },
    },
    handleOffsetFetch,
  ),
  api(
    ApiKey.FindCoordinator,
    'FindCoordinator',
    {
      0: {
        decode: findCoordinator0.decodeFindCoordinatorRequestV0,
        encode: findCoordinator0.encodeFindCoordinatorResponseV0,
      },
      ...same(findV1, 1, 2),
    },
    handleFindCoordinator,
  ),
  api(ApiKey.JoinGroup, 'JoinGroup', { 0: joinV0, 1: joinV1, ...same(joinV2, 2, 3, 4) }, handleJoinGroup),
  api(
    ApiKey.Heartbeat,
    'Heartbeat',
    {
      0: { decode: heartbeat.decodeHeartbeatRequestV0, encode: heartbeat.encodeErrorOnlyResponseV0 },
      ...same(
        { decode: heartbeat.decodeHeartbeatRequestV0, encode: heartbeat.encodeErrorOnlyResponseV1 },
        1,
        2,
      ),
    },
    handleHeartbeat,
  ),
  api(
    ApiKey.LeaveGroup,
    'LeaveGroup',
    {
      0: { decode: decodeLeaveGroupRequestV0, encode: heartbeat.encodeErrorOnlyResponseV0 },
      ...same({ decode: decodeLeaveGroupRequestV0, encode: heartbeat.encodeErrorOnlyResponseV1 }, 1, 2),
    },
    handleLeaveGroup,
  ),
  api(
    ApiKey.SyncGroup,
    'SyncGroup',
    {
      0: { decode: syncGroup0.decodeSyncGroupRequestV0, encode: syncGroup0.encodeSyncGroupResponseV0 },
      ...same({ decode: syncGroup0.decodeSyncGroupRequestV0, encode: encodeSyncGroupResponseV1 }, 1, 2),
    },
    handleSyncGroup,
  ),
  api(
    ApiKey.DescribeGroups,
    'DescribeGroups',
    {
      0: {
        decode: describeGroups.decodeDescribeGroupsRequestV0,
        encode: describeGroups.encodeDescribeGroupsResponseV0,
      },
      ...same(
        {
          decode: describeGroups.decodeDescribeGroupsRequestV0,
          encode: describeGroups.encodeDescribeGroupsResponseV1,
        },
        1,
        2,
      ),
    },
    handleDescribeGroups,
  ),
  api(
    ApiKey.ListGroups,
    'ListGroups',
    {
      0: { decode: listGroups.decodeListGroupsRequestV0, encode: listGroups.encodeListGroupsResponseV0 },
      ...same(
        { decode: listGroups.decodeListGroupsRequestV0, encode: listGroups.encodeListGroupsResponseV1 },
        1,
        2,
      ),
    },
    handleListGroups,
  ),
  api(
    ApiKey.CreateTopics,
    'CreateTopics',
    {
      0: {
        decode: createTopics0.decodeCreateTopicsRequestV0,
        encode: createTopics0.encodeCreateTopicsResponseV0,
      },
      1: {
        decode: createTopics1.decodeCreateTopicsRequestV1,
        encode: createTopics1.encodeCreateTopicsResponseV1,
      },
      2: { decode: createTopics1.decodeCreateTopicsRequestV1, encode: encodeCreateTopicsResponseV2 },
    },
    handleCreateTopics,
  ),
  api(
    ApiKey.DeleteTopics,
    'DeleteTopics',
    {
      0: {
        decode: deleteTopics.decodeDeleteTopicsRequestV0,
        encode: deleteTopics.encodeDeleteTopicsResponseV0,
      },
      1: {
        decode: deleteTopics.decodeDeleteTopicsRequestV0,
        encode: deleteTopics.encodeDeleteTopicsResponseV1,
      },
    },
    handleDeleteTopics,
  ),
  api(
    ApiKey.InitProducerId,
    'InitProducerId',
    same(
      {
        decode: initProducerId.decodeInitProducerIdRequestV0,
        encode: initProducerId.encodeInitProducerIdResponseV0,
      },
      0,
      1,
    ),
    handleInitProducerId,
  ),
  api(
    ApiKey.DescribeConfigs,
    'DescribeConfigs',
    {
      0: {
        decode: describeConfigs.decodeDescribeConfigsRequestV0,
        encode: describeConfigs.encodeDescribeConfigsResponseV0,
      },
    },
    handleDescribeConfigs,
  ),
]

const API_VERSIONS_MAX = 2

/** The ApiVersions answer: every API above plus ApiVersions 0–2. */
export const advertisedVersions: ApiVersionRange[] = [
  ...apis.map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: API_VERSIONS_MAX },
].sort((a, b) => a.apiKey - b.apiKey)

export const apiByKey = new Map(apis.map((a) => [a.key, a]))

/** Writes the ApiVersions response body for `version`; unsupported versions get the v0 layout with error 35. */
export function encodeApiVersions(w: Writer, version: number): void {
  if (version > API_VERSIONS_MAX || version < 0) {
    encodeApiVersionsResponseV0(w, { errorCode: 35, apiKeys: advertisedVersions })
    return
  }
  const res = { errorCode: 0, apiKeys: advertisedVersions }
  if (version === 0) encodeApiVersionsResponseV0(w, res)
  else encodeApiVersionsResponseV1(w, res)
}
