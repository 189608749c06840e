export {
  executionProvidersVar,
  type InferencePoolEnv,
  inferencePoolEnvShape,
  poolOptionsFromEnv,
} from './config.ts'
export { errorCodes, InferenceError, type InferenceErrorCode } from './errors.ts'
export {
  defaultExecutionProviders,
  type ExecutionProvider,
  executionProviders,
  type ProviderFallback,
} from './execution-providers.ts'
export {
  type ImageInference,
  InferencePool,
  type InferencePoolOptions,
  type InferencePoolStats,
  type InferenceRequest,
  type InferenceResult,
} from './inference.pool.ts'
export { type BudgetMetrics, writeManifestMetrics } from './manifest.writer.ts'
export {
  checkBudget,
  type LoadedModel,
  loadModel,
  parseManifest,
  resolveModelDir,
  sha256File,
  temperatureFor,
  tokenWidth,
} from './model.loader.ts'
export { type RowSummary, sigmoidInto, softmaxRows, summariseRow } from './postprocess.ts'
