import { describe, expect, it } from 'vitest'
import {
  dlqV1,
  type MessageContract,
  type MessagingError,
  policyV1,
  resultV1,
  verdictV1,
} from '../../../../../lib/messaging/index.ts'
import { deadLetter, policy, result, verdict } from './fixtures.ts'

function thrown(fn: () => unknown): MessagingError {
  try {
    fn()
  } catch (err) {
    return err as MessagingError
  }
  throw new Error('expected a throw')
}

function roundTrip<T>(contract: MessageContract<T>, message: T): T {
  const encoded = contract.encode(message)
  expect(encoded.headers['tokenline-schema-version']).toBe('1')
  return contract.decode(encoded.value, encoded.headers)
}

describe('JSON contracts v1', () => {
  it('verdict, result and policy are plain JSON with their schema headers', () => {
    for (const [contract, message, schema] of [
      [verdictV1, verdict(), 'tokenline.verdict'],
      [resultV1, result(), 'tokenline.result'],
      [policyV1, policy(), 'tokenline.policy'],
    ] as const) {
      const encoded = (contract as MessageContract<unknown>).encode(message)
      expect(encoded.headers['content-type']).toBe('application/json')
      expect(encoded.headers['tokenline-schema']).toBe(schema)
      expect(JSON.parse(encoded.value.toString('utf8'))).toEqual(message)
      expect(roundTrip(contract as MessageContract<unknown>, message)).toEqual(message)
    }
  })

  it('topics are the names fixed in SPEC §2', () => {
    expect(verdictV1.topic).toBe('tokenline.verdicts.v1')
    expect(resultV1.topic).toBe('tokenline.results.v1')
    expect(policyV1.topic).toBe('tokenline.policies.v1')
    expect(dlqV1.topic).toBe('tokenline.dlq.v1')
  })

  it('a decoded JSON value that breaks the schema is a typed non-retriable error', () => {
    const encoded = verdictV1.encode(verdict())
    const bad = Buffer.from(JSON.stringify({ ...verdict(), batchSize: -1, tokens: { vision: 'x' } }))
    const err = thrown(() => verdictV1.decode(bad, encoded.headers))
    expect(err.code).toBe('MESSAGING_MESSAGE_INVALID')
    expect(err.retriable).toBe(false)
    expect(err.message).toContain('batchSize')
    expect(err.message).toContain('tokens.vision')
    expect(thrown(() => verdictV1.decode(Buffer.from('{oops'), encoded.headers)).message).toContain(
      'expected UTF-8 JSON',
    )
  })

  it('a result escalated without a reason is refused', () => {
    const err = thrown(() => resultV1.encode(result({ disposition: 'escalated', escalationReason: null })))
    expect(err.message).toContain(
      'escalationReason: expected an escalationReason when disposition is escalated',
    )
  })

  it('a policy whose ladder does not climb above the edge budget is refused', () => {
    const err = thrown(() =>
      policyV1.encode(policy({ edge: { model: 'edge-vit', budget: 64, ladder: [16, 256] } })),
    )
    expect(err.message).toContain(
      'edge.ladder: expected ladder budgets strictly ascending and above edge.budget',
    )
    const err2 = thrown(() => policyV1.encode(policy({ cloud: { model: 'cloud-vit', budget: 200 } })))
    expect(err2.message).toContain('cloud.budget: expected a perfect square')
  })

  it('dead letters carry the original bytes unchanged in the frame body', () => {
    const message = deadLetter()
    const encoded = dlqV1.encode(message)
    expect(encoded.headers['content-type']).toBe('application/vnd.tokenline.frame.v1')
    expect(encoded.value.subarray(encoded.value.length - 4)).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]))
    const decoded = dlqV1.decode(encoded.value, encoded.headers)
    expect(decoded.original).toEqual(message.original)
    expect(Buffer.from(decoded.value)).toEqual(Buffer.from(message.value))
  })

  it('a dead letter with valueNull and bytes is inconsistent', () => {
    const base = deadLetter()
    const err = thrown(() => dlqV1.encode({ ...base, original: { ...base.original, valueNull: true } }))
    expect(err.message).toContain('expected no bytes when original.valueNull is true but received 4')
  })
})
