import { describe, expect, it } from 'vitest'
import { inspectionIdOf } from '../../../../../services/cloud/src/dedup/verdict-ledger.ts'

const id = '2f1c6a52-7c1e-4b8e-9a55-0d5a0f6b2c11'

describe('inspectionIdOf', () => {
  it('reads the id of a verdict as the cloud writes it (inspectionId first)', () => {
    expect(inspectionIdOf(Buffer.from(JSON.stringify({ inspectionId: id, lineId: 'a' })))).toBe(id)
  })

  it('parses records with another key order or spacing, and ignores what is not a verdict', () => {
    expect(inspectionIdOf(Buffer.from(JSON.stringify({ lineId: 'a', inspectionId: id })))).toBe(id)
    expect(inspectionIdOf(Buffer.from(`{ "inspectionId": "${id}" }`))).toBe(id)
    expect(inspectionIdOf(Buffer.from('{"inspectionId":"short"}'))).toBe('short')
    expect(inspectionIdOf(Buffer.from('not json'))).toBeUndefined()
    expect(inspectionIdOf(Buffer.from('{"inspectionId":42}'))).toBeUndefined()
    expect(inspectionIdOf(null)).toBeUndefined()
  })
})
