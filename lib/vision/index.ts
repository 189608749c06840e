/**
 * Public API of lib/vision: image bytes → token grids (shared by serving and training),
 * question tokens, and the synthetic surface-defect dataset.
 */
export {
  type DatasetItem,
  imageExtensions,
  type LabelledFolder,
  loadLabelledFolder,
} from './dataset/folder.ts'
export { classForSeed, generateSample, idForSeed } from './dataset/generate.ts'
export {
  type DefectClass,
  defectClasses,
  readLabels,
  type SampleLabel,
  splitSeeds,
} from './dataset/labels.ts'
export { type Dataset, openDataset } from './dataset/open-dataset.ts'
export { defaultNormalisation, type TokenTensorMeta } from './dataset/write-tokens.ts'
export {
  acceptedFormats,
  type DecodedSquare,
  decodeRegion,
  decodeSquare,
  type RelativeRegion,
  resizeKernel,
} from './decode.ts'
export { VisionError, type VisionErrorCode, visionErrorCodes } from './errors.ts'
export { maskCoverage } from './patch-mask.ts'
export { positionsFor } from './positions.ts'
export {
  answerFor,
  defaultQuestionMaxLength,
  defaultQuestionVocab,
  type QuestionTarget,
  questionTemplates,
  questionWords,
  tokenizeQuestion,
} from './question.ts'
export { type SniffedFormat, sniffImageFormat } from './sniff.ts'
export {
  checkSpec,
  defaultMaxInputBytes,
  defaultMaxInputPixels,
  gridSide,
  specFromManifest,
  type TokenGridSpec,
} from './spec.ts'
export {
  imageToTokens,
  normaliseTokens,
  type TokenGrid,
  type TokenGridU8,
  tokenizeImage,
  tokenizeImageU8,
} from './token-grid.ts'
