import WebSocket from 'ws'

/** Test-side GraphQL over HTTP with an API key. */

export const testAdminKey = `tl_test_admin_${'x'.repeat(24)}`

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, checked by value in the tests
export type Json = any
export type GraphqlAnswer = {
  status: number
  headers: Headers
  data?: Record<string, Json> | null
  errors?: { message: string; path?: string[]; extensions?: Record<string, Json> }[]
}

export async function gql(
  url: string,
  key: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  const body = (await res.json()) as Omit<GraphqlAnswer, 'status' | 'headers'>
  return { status: res.status, headers: res.headers, ...body }
}

/** A valid policy input for the shipped models (models/edge-vit-s, models/cloud-vit-m). */
export function policyInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    edge: { model: 'edge-vit-s', budget: 16, ladder: [64] },
    cloud: { model: 'cloud-vit-m', budget: 256 },
    escalation: {
      thresholds: { minConfidence: 0.8 },
      perClass: [{ label: 'pit', minConfidence: 0.9 }],
      alwaysEscalate: ['crack'],
      auditRate: 0.05,
    },
    cloudTokenCapPerHour: 100_000,
    atCap: 'EDGE_VERDICT',
    deadlineMs: 10_000,
    pastDeadline: 'HOLD',
    question: 'is there a scratch?',
    costPer1kTokens: { edge: 0, cloud: 0.02 },
    egress: { mode: 'WHOLE', regionMarginPatches: 1 },
    ...over,
  }
}

export const updatePolicyMutation = `mutation Update($lineId: ID!, $policy: PolicyInput!, $reason: String!) {
  updatePolicy(lineId: $lineId, policy: $policy, reason: $reason) {
    lineId plantId version author reason rolledBackTo warnings
    edge { model budget ladder } cloud { model budget }
    escalation { thresholds { minConfidence minMargin maxEntropy } perClass { label minConfidence } alwaysEscalate auditRate }
    cloudTokenCapPerHour atCap deadlineMs pastDeadline question costPer1kTokens { edge cloud } egress { mode regionMarginPatches }
  }
}`

export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** What a graphql-ws server answers to `connection_init` with `authorization`: its first message, or its close. */
export function initAnswer(
  url: string,
  authorization: string | undefined,
): Promise<{ message?: Json; code?: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws')
    ws.once('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: authorization ? { authorization } : {} })),
    )
    ws.once('message', (data) => {
      resolve({ message: JSON.parse(String(data)) })
      ws.close()
    })
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    ws.once('error', reject)
  })
}

/**
 * One graphql-transport-ws exchange: connect with `key` (none: no authorization), send one
 * operation, and report what came back first: the first error's code, `accepted` for data, or
 * `closed:<code>` when the server closed the socket.
 */
export function wsOperation(
  url: string,
  key: string | undefined,
  payload: Record<string, unknown>,
): Promise<string> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws')
    const finish = (outcome: string) => {
      done(outcome)
      ws.terminate()
    }
    ws.once('open', () =>
      ws.send(
        JSON.stringify({ type: 'connection_init', payload: key ? { authorization: `Bearer ${key}` } : {} }),
      ),
    )
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; payload?: Json }
      if (m.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload }))
      else if (m.type === 'error') finish(String(m.payload?.[0]?.extensions?.code))
      else if (m.type === 'next')
        finish(m.payload?.errors ? String(m.payload.errors[0]?.extensions?.code) : 'accepted')
    })
    ws.once('close', (code) => finish(`closed:${code}`))
    ws.once('error', fail)
  })
}
