/** Kafka API keys this broker knows by name (values from the protocol guide). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DescribeConfigs: 32,
} as const

export type ApiKeyValue = (typeof ApiKey)[keyof typeof ApiKey]

export function apiName(key: number): string {
  for (const [name, value] of Object.entries(ApiKey)) if (value === key) return name
  return `api${key}`
}
