/**
 * Public API of lib/policy: the edge's decision rule, shared by the edge (live) and the gateway
 * (replay of a proposed policy over logged cases).
 */
export { auditDraw } from './audit.ts'
export {
  type DeadlineOutcome,
  type DecideInput,
  type Decision,
  deadlineOutcome,
  decide,
  type EscalationReason,
  ladderOf,
  type RungOutput,
  type Thresholds,
  thresholdsFor,
  type UnsureRule,
  unsureRule,
} from './decide.ts'
export { type HourlyWindow, TokenCounter } from './token-counter.ts'
