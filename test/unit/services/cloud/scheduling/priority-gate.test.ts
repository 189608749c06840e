import { describe, expect, it } from 'vitest'
import { PriorityGate } from '../../../../../services/cloud/src/scheduling/priority-gate.ts'

describe('PriorityGate', () => {
  it('admits up to capacity at once and the next one when a case is released', async () => {
    const gate = new PriorityGate(2)
    const first = await gate.acquire('escalation')
    await gate.acquire('audit')
    let third = false
    const pending = gate.acquire('escalation').then((release) => {
      third = true
      return release
    })
    await Promise.resolve()
    expect(third).toBe(false)
    first()
    await pending
    expect(third).toBe(true)
  })

  it('under load, a waiting escalation goes before audits that waited longer', async () => {
    const gate = new PriorityGate(1)
    const busy = await gate.acquire('escalation')
    const order: string[] = []
    const audits = [1, 2].map((i) =>
      gate.acquire('audit').then((release) => {
        order.push(`audit-${i}`)
        release()
      }),
    )
    const escalation = gate.acquire('escalation').then((release) => {
      order.push('escalation')
      release()
    })
    expect(gate.waitingCount()).toEqual({ escalation: 1, audit: 2 })
    busy()
    await Promise.all([...audits, escalation])
    expect(order).toEqual(['escalation', 'audit-1', 'audit-2'])
  })

  it('does not admit an audit ahead of a waiting escalation even with room freed one at a time', async () => {
    const gate = new PriorityGate(1)
    const busy = await gate.acquire('audit')
    const waiting = gate.acquire('escalation')
    let auditAdmitted = false
    void gate.acquire('audit').then(() => {
      auditAdmitted = true
    })
    busy()
    const release = await waiting
    await Promise.resolve()
    expect(auditAdmitted).toBe(false)
    release()
    await new Promise((r) => setImmediate(r))
    expect(auditAdmitted).toBe(true)
  })

  it('ignores a second release of the same case', async () => {
    const gate = new PriorityGate(1)
    const release = await gate.acquire('escalation')
    release()
    release()
    await gate.acquire('escalation')
    let admitted = false
    void gate.acquire('escalation').then(() => {
      admitted = true
    })
    await new Promise((r) => setImmediate(r))
    expect(admitted).toBe(false)
  })

  it('refuses a capacity below 1', () => {
    expect(() => new PriorityGate(0)).toThrow(/Expected capacity to be a positive integer but received 0/)
  })
})
