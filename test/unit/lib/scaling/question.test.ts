import { describe, expect, it } from 'vitest'
import { answerTruth, questionTarget } from '../../../../lib/scaling/question.ts'

describe('questionTarget', () => {
  it('reads the subject of training templates and free wording', () => {
    expect(questionTarget('Is there a scratch?')).toBe('scratch')
    expect(questionTarget('any defect?')).toBe('any')
    expect(questionTarget('are there cracks on this part')).toBe('crack')
    expect(questionTarget('is the part damaged?')).toBe('any')
    expect(questionTarget('scratch or pit?')).toBeUndefined()
    expect(questionTarget('what colour is it')).toBeUndefined()
  })

  it('turns a target into yes/no truth per class', () => {
    expect(answerTruth('pit')('pit')).toBe(true)
    expect(answerTruth('pit')('stain')).toBe(false)
    expect(answerTruth('any')('ok')).toBe(false)
    expect(answerTruth('any')('crack')).toBe(true)
  })
})
