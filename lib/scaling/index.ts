export {
  type BootstrapOptions,
  type BudgetPredictions,
  type ExponentIntervals,
  exponentIntervals,
  type Interval,
} from './bootstrap.ts'
export { expectedCalibrationError } from './calibration.ts'
export {
  type BudgetEvaluation,
  type EvaluateOptions,
  evaluateBudget,
  type FusedQuestion,
} from './evaluate.ts'
export { formatPass } from './format-pass.ts'
export { isUpsampled, type NativeSize, nativeBudget, nativeGrid } from './native-resolution.ts'
export {
  type ErrorPoint,
  fitGrowthLaw,
  fitPowerLaw,
  type PerformancePoint,
  type PowerLawFitResult,
  predictError,
} from './power-law.ts'
export { answerTruth, questionTarget } from './question.ts'
export { accuracyOf, type ClassRecall, perClassRecall } from './recall.ts'
export {
  answerFromClass,
  answerFromPosterior,
  type BudgetSummary,
  buildScalingReport,
  type ReportInput,
  type ScalingPoint,
  summariseBudget,
} from './report.ts'
export { runScaling, type ScalingPass, type ScalingRunOptions } from './scaling-run.ts'
