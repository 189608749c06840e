import type { BrokerCore } from '../broker-core.ts'

/** What a handler knows about the request besides its body. */
export type RequestContext = {
  core: BrokerCore
  clientId: string
  clientHost: string
  apiVersion: number
}
