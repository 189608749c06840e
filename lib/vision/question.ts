/**
 * Question tokens for vision-text fusion: int64 [Q] per question (ONNX input `question`, [B, Q]).
 * Text is lower-cased, every character outside [a-z0-9] becomes a space, words split on
 * whitespace and map to their index in the vocabulary (0 = "<pad>", 1 = "<unk>"); the ids are
 * truncated to Q words or right-padded with 0.
 */
import { describeValue } from '../errors/index.ts'
import { VisionError } from './errors.ts'

/** Vocabulary shipped with our models; index = word id. */
export const defaultQuestionVocab: readonly string[] = [
  '<pad>',
  '<unk>',
  'any',
  'defect',
  'defects',
  'is',
  'there',
  'a',
  'an',
  'are',
  'scratch',
  'scratches',
  'pit',
  'pits',
  'stain',
  'stains',
  'crack',
  'cracks',
  'on',
  'the',
  'surface',
  'part',
  'this',
  'does',
  'it',
  'have',
  'show',
  'see',
  'you',
  'can',
  'visible',
  'damage',
  'damaged',
  'ok',
  'good',
]

/** Default question length Q in words. */
export const defaultQuestionMaxLength = 8

/** What a question asks about: any defect, or one defect class. */
export type QuestionTarget = 'any' | 'scratch' | 'pit' | 'stain' | 'crack'

/** The questions used in training, with the class they ask about. */
export const questionTemplates: ReadonlyArray<{ text: string; target: QuestionTarget }> = [
  { text: 'any defect?', target: 'any' },
  { text: 'is there a scratch?', target: 'scratch' },
  { text: 'is there a pit?', target: 'pit' },
  { text: 'is there a stain?', target: 'stain' },
  { text: 'is there a crack?', target: 'crack' },
]

/** Ground-truth yes/no: "any" is yes iff the class is not `okLabel`; a class question is yes iff it matches. */
export function answerFor(target: QuestionTarget, className: string, okLabel = 'ok'): boolean {
  return target === 'any' ? className !== okLabel : className === target
}

/** Lower-case words of `text` with everything outside [a-z0-9] treated as a separator. */
export function questionWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
}

/**
 * Word ids of `text`, int64 [maxLength]; unknown words map to 1, padding is 0.
 * @throws VisionError VISION_SPEC_INVALID when maxLength is not a positive integer.
 */
export function tokenizeQuestion(
  text: string,
  vocab: readonly string[] = defaultQuestionVocab,
  maxLength = defaultQuestionMaxLength,
): BigInt64Array {
  if (!Number.isSafeInteger(maxLength) || maxLength <= 0) {
    throw new VisionError(
      'VISION_SPEC_INVALID',
      `expected a positive integer for maxLength but received ${describeValue(maxLength)}`,
    )
  }
  const index = new Map<string, number>()
  vocab.forEach((w, i) => {
    if (!index.has(w)) index.set(w, i)
  })
  const out = new BigInt64Array(maxLength)
  const words = questionWords(text)
  for (let i = 0; i < Math.min(words.length, maxLength); i++) out[i] = BigInt(index.get(words[i]!) ?? 1)
  return out
}
