import { describe, expect, it } from 'vitest'
import {
  answerFor,
  defaultQuestionVocab,
  questionTemplates,
  questionWords,
  tokenizeQuestion,
} from '../../../../lib/vision/index.ts'

const id = (w: string) => BigInt(defaultQuestionVocab.indexOf(w))

describe('tokenizeQuestion', () => {
  it('keeps <pad> at 0 and <unk> at 1', () => {
    expect(defaultQuestionVocab[0]).toBe('<pad>')
    expect(defaultQuestionVocab[1]).toBe('<unk>')
  })

  it('lower-cases, splits on anything outside [a-z0-9], pads with 0', () => {
    const q = tokenizeQuestion('Is there a SCRATCH?!', defaultQuestionVocab, 6)
    expect(q).toBeInstanceOf(BigInt64Array)
    expect([...q]).toEqual([id('is'), id('there'), id('a'), id('scratch'), 0n, 0n])
  })

  it('maps unknown words to 1 and truncates to maxLength', () => {
    const q = tokenizeQuestion('any dent-like defect on the surface', defaultQuestionVocab, 4)
    expect([...q]).toEqual([id('any'), 1n, 1n, id('defect')])
  })

  it('uses a custom vocabulary', () => {
    expect([...tokenizeQuestion('b a c', ['<pad>', '<unk>', 'a', 'b'], 3)]).toEqual([3n, 2n, 1n])
  })

  it('empty or punctuation-only text is all padding', () => {
    expect([...tokenizeQuestion('?!', defaultQuestionVocab, 3)]).toEqual([0n, 0n, 0n])
    expect(questionWords('  ')).toEqual([])
  })

  it('every template word is in the default vocabulary', () => {
    for (const t of questionTemplates) expect([...tokenizeQuestion(t.text)].includes(1n)).toBe(false)
  })
})

describe('answerFor', () => {
  it('"any defect" is yes iff the class is not ok; class questions match the class', () => {
    expect(answerFor('any', 'ok')).toBe(false)
    expect(answerFor('any', 'pit')).toBe(true)
    expect(answerFor('scratch', 'scratch')).toBe(true)
    expect(answerFor('scratch', 'crack')).toBe(false)
    expect(questionTemplates.map((t) => t.text)).toEqual([
      'any defect?',
      'is there a scratch?',
      'is there a pit?',
      'is there a stain?',
      'is there a crack?',
    ])
  })
})
