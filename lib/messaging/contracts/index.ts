export {
  contentTypeHeader,
  defineFramedContract,
  defineJsonContract,
  type EncodedMessage,
  headerText,
  type IncomingHeaders,
  type MessageContract,
  type MessageOf,
  schemaHeader,
  schemaVersionHeader,
} from './contract.ts'
export { type DlqV1, dlqHeaderV1, dlqTopicV1, dlqV1 } from './dlq.v1.ts'
export {
  type EscalationImageV1,
  type EscalationV1,
  escalationHeaderV1,
  escalationsTopicV1,
  escalationV1,
} from './escalation.v1.ts'
export { decodeFrame, encodeFrame, frameContentType, jsonContentType } from './frame.ts'
export { escalationReasonsV1 } from './parts.v1.ts'
export { type PolicyV1, policiesTopicV1, policyPayloadV1, policyV1, thresholdsV1 } from './policy.v1.ts'
export {
  egressModesV2,
  egressV2,
  type PolicyInputV2,
  type PolicyV2,
  policiesTopicV2,
  policyPayloadV2,
  policyV2,
} from './policy.v2.ts'
export { dispositionsV1, type ResultV1, resultPayloadV1, resultsTopicV1, resultV1 } from './result.v1.ts'
export { type VerdictV1, verdictPayloadV1, verdictsTopicV1, verdictV1 } from './verdict.v1.ts'
export {
  priceSourcesV2,
  type VerdictV2,
  verdictPayloadV2,
  verdictsTopicV2,
  verdictV2,
} from './verdict.v2.ts'
