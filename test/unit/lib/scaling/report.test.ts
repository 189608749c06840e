import { describe, expect, it } from 'vitest'
import { answerFromClass, answerFromPosterior, imageAnswers } from '../../../../lib/scaling/report.ts'

const labels = ['ok', 'scratch', 'pit']
const anyDefect = (c: string) => c !== 'ok'

describe('answerFromPosterior vs answerFromClass', () => {
  it('answers "any defect?" from the summed defect probability where the top class says ok', () => {
    // Image 0 is a pit: top class ok (0.4) but P(defect) = 0.6 → the posterior says yes, argmax says no.
    // Image 1 is ok: top class ok (0.7) → both say no. Image 2 is a scratch: top class scratch → both yes.
    const ev = {
      truth: Int32Array.from([2, 0, 1]),
      predicted: Int32Array.from([0, 0, 1]),
      probabilities: Float32Array.from([0.4, 0.3, 0.3, 0.7, 0.2, 0.1, 0.1, 0.8, 0.1]),
    }
    expect(answerFromClass(ev, labels, anyDefect)).toBeCloseTo(2 / 3, 10)
    expect(answerFromPosterior(ev, labels, anyDefect)).toBe(1)
  })

  it('answers a named class from its own probability only, and gives 0 for no images', () => {
    const ev = { truth: Int32Array.from([1]), probabilities: Float32Array.from([0.3, 0.45, 0.25]) }
    expect(answerFromPosterior(ev, labels, (c) => c === 'scratch')).toBe(0)
    expect(
      answerFromPosterior(
        { truth: new Int32Array(0), probabilities: new Float32Array(0) },
        labels,
        anyDefect,
      ),
    ).toBe(0)
  })
})

describe('answers on images with a second defect', () => {
  it('counts the second defect as a yes to the question that names it', () => {
    // Image 0: a pit that also has a scratch; image 1: a pit alone. "is there a scratch?" is yes
    // for image 0 only, although both are labelled pit.
    const isScratch = (c: string) => c === 'scratch'
    const ev = {
      truth: Int32Array.from([2, 2]),
      also: Int32Array.from([1, -1]),
      predicted: Int32Array.from([2, 2]),
      probabilities: Float32Array.from([0.05, 0.3, 0.65, 0.05, 0.05, 0.9]),
    }
    expect(imageAnswers(ev, labels, isScratch)).toEqual([true, false])
    // The class reading and the posterior (P(scratch) = 0.3) both say no to image 0.
    expect(answerFromClass(ev, labels, isScratch)).toBe(0.5)
    expect(answerFromPosterior(ev, labels, isScratch)).toBe(0.5)
    expect(imageAnswers({ truth: ev.truth }, labels, isScratch)).toEqual([false, false])
  })
})
