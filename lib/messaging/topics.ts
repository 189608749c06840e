import type { Admin } from 'kafkajs'
import type { Logger } from '../log/index.ts'
import { dlqTopicV1 } from './contracts/dlq.v1.ts'
import { escalationsTopicV1 } from './contracts/escalation.v1.ts'
import { policiesTopicV1 } from './contracts/policy.v1.ts'
import { policiesTopicV2 } from './contracts/policy.v2.ts'
import { resultsTopicV1 } from './contracts/result.v1.ts'
import { verdictsTopicV1 } from './contracts/verdict.v1.ts'
import { verdictsTopicV2 } from './contracts/verdict.v2.ts'
import { MessagingError } from './errors.ts'

export type TopicSpec = {
  topic: string
  /** Partitions: the unit of parallelism for consumer groups (one consumer per partition at most). */
  partitions: number
  /** Kafka topic configs, e.g. `cleanup.policy=compact`. */
  config: Record<string, string>
}

/**
 * The platform's topics (SPEC §2). Work topics get 6 partitions so up to 6 cloud consumers share
 * escalations; policies are compacted (latest value per line id); the dead-letter topic keeps
 * records for 30 days.
 */
export const platformTopics: readonly TopicSpec[] = [
  { topic: escalationsTopicV1, partitions: 6, config: {} },
  { topic: verdictsTopicV1, partitions: 6, config: {} },
  { topic: verdictsTopicV2, partitions: 6, config: {} },
  { topic: resultsTopicV1, partitions: 6, config: {} },
  { topic: policiesTopicV1, partitions: 3, config: { 'cleanup.policy': 'compact' } },
  { topic: policiesTopicV2, partitions: 3, config: { 'cleanup.policy': 'compact' } },
  { topic: dlqTopicV1, partitions: 1, config: { 'retention.ms': String(30 * 24 * 3600 * 1000) } },
]

export type EnsureTopicsOptions = {
  /** Defaults to `platformTopics`. */
  topics?: readonly TopicSpec[]
  /** Copies of each partition; 1 for the embedded broker, 3 on a production cluster. Default 1. */
  replicationFactor?: number
  logger?: Logger
}

/**
 * Creates the topics that are missing; existing ones are left as they are (a partition count
 * that differs from the spec is logged, never changed). Safe to run from every service at start.
 * @returns the names of the topics it created
 */
export async function ensureTopics(admin: Admin, options: EnsureTopicsOptions = {}): Promise<string[]> {
  const topics = options.topics ?? platformTopics
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t.topic))
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      })
      options.logger?.info({ topics: missing.map((t) => t.topic) }, 'created topics')
    }
    const present = topics.filter((t) => existing.has(t.topic))
    if (present.length > 0) {
      const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) })
      for (const t of metadata.topics) {
        const want = present.find((p) => p.topic === t.name)?.partitions
        if (want !== undefined && t.partitions.length !== want) {
          options.logger?.warn(
            { topic: t.name, partitions: t.partitions.length, expected: want },
            'topic exists with a different partition count; leaving it as it is',
          )
        }
      }
    }
    return missing.map((t) => t.topic)
  } catch (err) {
    const retriable = (err as { retriable?: unknown }).retriable === true
    throw new MessagingError(
      'MESSAGING_TOPIC_SETUP_FAILED',
      `creating topics ${topics.map((t) => t.topic).join(', ')} failed: ${(err as Error).message}`,
      retriable,
      { cause: err },
    )
  }
}
