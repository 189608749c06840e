/**
 * Recommendation by replay: the edge's own `decide()` run image by image over calibration records
 * or logged inspections, a grid of candidate policies, their Pareto frontier (cost per 1,000
 * images against accuracy) and the recommendation.
 */
export { type AccuracyIntervalOptions, accuracyInterval } from './bootstrap.ts'
export {
  applyKnobs,
  defaultMinConfidenceGrid,
  evaluateGrid,
  evaluateGridAsync,
  type GridOptions,
  type GridResult,
  type ReplayKnobs,
  verifyFrontier,
} from './candidates.ts'
export { describePolicy } from './describe.ts'
export { ReplayError, type ReplayErrorCode, replayErrorCodes } from './errors.ts'
export { paretoFrontier, type Recommendation, type RecommendTarget, recommend } from './frontier.ts'
export { type EdgePass, type ReplayFigures, replayEdge, replayPolicy, settle } from './replay.ts'
export {
  type CalibrationSet,
  type CalibrationSetInput,
  calibrationSet,
  type LatencyTable,
  type LoggedCase,
  type LoggedSet,
  loggedSet,
  type ReplaySet,
} from './replay-set.ts'
export { type RungAnswers, rungAnswers, walkLadder } from './rung-table.ts'
