import { KafkaError } from '../protocol/error-codes.ts'
import type { MetadataRequest, MetadataResponse } from '../protocol/messages/metadata.v4.ts'
import { type Topic, topicNameProblem } from '../storage/topic-registry.ts'
import type { RequestContext } from './context.ts'

function describeTopic(t: Topic, nodeId: number): MetadataResponse['topics'][number] {
  return {
    errorCode: 0,
    name: t.name,
    partitions: t.partitions.map((_, index) => ({
      errorCode: 0,
      index,
      leader: nodeId,
      replicas: [nodeId],
      isr: [nodeId],
    })),
  }
}

/** One broker (this one) leading every partition; unknown topics are auto-created when allowed. */
export function handleMetadata(req: MetadataRequest, ctx: RequestContext): MetadataResponse {
  const { core } = ctx
  const names = req.topics ?? [...core.topics.topics.keys()]
  return {
    brokers: [{ nodeId: core.nodeId, host: core.advertised.host, port: core.advertised.port }],
    clusterId: core.clusterId,
    controllerId: core.nodeId,
    topics: names.map((name) => {
      let topic = core.topics.topics.get(name)
      if (!topic) {
        if (topicNameProblem(name))
          return { errorCode: KafkaError.INVALID_TOPIC_EXCEPTION, name, partitions: [] }
        if (!core.config.autoCreateTopics || !req.allowAutoTopicCreation)
          return { errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] }
        core.topics.create(name, core.config.defaultPartitions, {})
        topic = core.topics.topics.get(name)!
      }
      return describeTopic(topic, core.nodeId)
    }),
  }
}
