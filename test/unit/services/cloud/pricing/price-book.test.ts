import { describe, expect, it } from 'vitest'
import { PriceBook } from '../../../../../services/cloud/src/pricing/price-book.ts'

const policy = (lineId: string, version: number, cloud: number) => ({
  lineId,
  version,
  costPer1kTokens: { edge: 0, cloud },
})

describe('PriceBook', () => {
  it('prices at the escalating policy version, else the latest, else the default', () => {
    const book = new PriceBook(0.5)
    book.apply(policy('line-a', 1, 0.01))
    book.apply(policy('line-a', 3, 0.03))
    expect(book.priceFor('line-a', 1)).toEqual({ per1kTokens: 0.01, source: 'policy' })
    expect(book.priceFor('line-a', 3)).toEqual({ per1kTokens: 0.03, source: 'policy' })
    expect(book.priceFor('line-a', 2)).toEqual({ per1kTokens: 0.03, source: 'latest-policy' })
    expect(book.priceFor('line-b', 1)).toEqual({ per1kTokens: 0.5, source: 'default' })
  })

  it('keeps the highest version as the latest whatever order versions arrive in', () => {
    const book = new PriceBook(0)
    book.apply(policy('line-a', 5, 0.05))
    book.apply(policy('line-a', 4, 0.04))
    expect(book.priceFor('line-a', 9)).toEqual({ per1kTokens: 0.05, source: 'latest-policy' })
  })
})
