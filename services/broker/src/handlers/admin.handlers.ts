import { KafkaError } from '../protocol/error-codes.ts'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages/create-topics.v0.ts'
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages/delete-topics.v0.ts'
import type {
  DescribeConfigsRequest,
  DescribeConfigsResponse,
} from '../protocol/messages/describe-configs.v0.ts'
import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../protocol/messages/init-producer-id.v0.ts'
import type { RequestContext } from './context.ts'

export function handleCreateTopics(req: CreateTopicsRequest, ctx: RequestContext): CreateTopicsResponse {
  const { core } = ctx
  const seen = new Map<string, number>()
  for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1)
  return {
    topics: req.topics.map((t) => {
      if ((seen.get(t.name) ?? 0) > 1)
        return {
          name: t.name,
          errorCode: KafkaError.INVALID_REQUEST,
          errorMessage: `topic ${t.name} appears more than once`,
        }
      if (t.replicationFactor > 1)
        return {
          name: t.name,
          errorCode: KafkaError.INVALID_REPLICATION_FACTOR,
          errorMessage: `expected replication factor 1 or -1 on this single-node broker, received ${t.replicationFactor}`,
        }
      const partitions =
        t.assignments.length > 0
          ? t.assignments.length
          : t.numPartitions === -1
            ? core.config.defaultPartitions
            : t.numPartitions
      const configs: Record<string, string> = {}
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
      const result = core.topics.create(t.name, partitions, configs, req.validateOnly)
      return {
        name: t.name,
        errorCode: result.errorCode,
        errorMessage: 'message' in result ? result.message : null,
      }
    }),
  }
}

export function handleDeleteTopics(req: DeleteTopicsRequest, ctx: RequestContext): DeleteTopicsResponse {
  const { core } = ctx
  const res = {
    topics: req.topics.map((name) => {
      if (!core.topics.delete(name)) return { name, errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION }
      core.offsets.forgetTopic(name)
      return { name, errorCode: 0 }
    }),
  }
  core.wakeAllFetches()
  return res
}

/** Producer ids for idempotent producers; a transactional id is refused (no transactions). */
export function handleInitProducerId(
  req: InitProducerIdRequest,
  ctx: RequestContext,
): InitProducerIdResponse {
  if (req.transactionalId !== null) {
    ctx.core.log.warn(
      { client: ctx.clientId, transactionalId: req.transactionalId },
      'refused transactional InitProducerId',
    )
    return { errorCode: KafkaError.INVALID_REQUEST, producerId: -1, producerEpoch: -1 }
  }
  return { errorCode: 0, producerId: ctx.core.allocateProducerId(), producerEpoch: 0 }
}

const TOPIC_RESOURCE = 2

/**
 * Effective topic configs: the ones this broker honours (with their default flagged) plus any
 * other config the topic was created with. Broker resources describe no configs.
 */
export function handleDescribeConfigs(
  req: DescribeConfigsRequest,
  ctx: RequestContext,
): DescribeConfigsResponse {
  return {
    results: req.resources.map((res) => {
      const base = { type: res.type, name: res.name }
      if (res.type !== TOPIC_RESOURCE) return { ...base, errorCode: 0, errorMessage: null, configs: [] }
      const topic = ctx.core.topics.topics.get(res.name)
      if (!topic)
        return {
          ...base,
          errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `topic ${res.name} does not exist`,
          configs: [],
        }
      const s = topic.settings
      const effective: Record<string, string> = {
        'cleanup.policy': s.cleanupPolicy,
        'retention.ms': String(s.retentionMs),
        'retention.bytes': String(s.retentionBytes),
        'segment.bytes': String(s.segmentBytes),
        'segment.ms': String(s.segmentMs),
        'max.message.bytes': String(s.maxMessageBytes),
        'delete.retention.ms': String(s.deleteRetentionMs),
        ...topic.configs,
      }
      const names = res.keys ?? Object.keys(effective)
      return {
        ...base,
        errorCode: 0,
        errorMessage: null,
        configs: names
          .filter((n) => n in effective)
          .map((n) => ({ name: n, value: effective[n]!, readOnly: false, isDefault: !(n in topic.configs) })),
      }
    }),
  }
}
