import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Storage } from '../../../../../lib/db/index.ts'
import { loadConfig } from '../../../../../services/gateway/src/config.ts'
import { type RunningGateway, startGateway } from '../../../../../services/gateway/src/gateway.ts'
import { silent } from '../ingest/ingest-fixture.ts'

export const adminKey = `tl_test_admin_${'x'.repeat(24)}`

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON, checked by value in the tests
export type Json = any
export type GraphqlResponse = {
  data?: Record<string, Json> | null
  errors?: { message: string; extensions?: Record<string, unknown> }[]
}

/** A gateway on a free port over `storage`, with an empty models folder unless `env` names one. */
export async function startTestGateway(
  storage: Storage,
  env: Record<string, string> = {},
): Promise<RunningGateway> {
  const config = loadConfig({
    GATEWAY_PORT: '0',
    TOKENLINE_MODELS_DIR: mkdtempSync(join(tmpdir(), 'tokenline-no-models-')),
    GATEWAY_ADMIN_KEY: adminKey,
    ...env,
  })
  return startGateway(config, { log: silent, storage })
}

/** POSTs a GraphQL request with the admin key. */
export async function graphql(
  gateway: RunningGateway,
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphqlResponse> {
  const res = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ query, variables }),
  })
  return (await res.json()) as GraphqlResponse
}
