import { answerFor, type QuestionTarget, questionTemplates, questionWords } from '../vision/question.ts'

const classWords: Record<string, Exclude<QuestionTarget, 'any'>> = {
  scratch: 'scratch',
  scratches: 'scratch',
  pit: 'pit',
  pits: 'pit',
  stain: 'stain',
  stains: 'stain',
  crack: 'crack',
  cracks: 'crack',
}
const anyWords = new Set(['defect', 'defects', 'damage', 'damaged', 'wrong'])

/**
 * What a question asks about: a training template's target when the words match one, else the
 * one defect class it names, else "any" when it asks about defects or damage; undefined when
 * the subject cannot be told (then its yes/no truth is unknown and no answer accuracy is given).
 */
export function questionTarget(text: string): QuestionTarget | undefined {
  const words = questionWords(text).join(' ')
  const template = questionTemplates.find((t) => questionWords(t.text).join(' ') === words)
  if (template) return template.target
  const named = new Set(
    questionWords(text)
      .map((w) => classWords[w])
      .filter((c) => c !== undefined),
  )
  if (named.size === 1) return [...named][0]
  if (named.size === 0 && questionWords(text).some((w) => anyWords.has(w))) return 'any'
  return undefined
}

/** Yes/no truth per class name for a question target (see lib/vision answerFor). */
export function answerTruth(target: QuestionTarget, okLabel = 'ok'): (className: string) => boolean {
  return (className) => answerFor(target, className, okLabel)
}
