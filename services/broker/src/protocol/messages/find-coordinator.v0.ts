/**
 * FindCoordinator v0 (key 10), formerly GroupCoordinator.
 *
 *   FindCoordinator Request (Version: 0) => key
 *     key => STRING   (the group id)
 *
 *   FindCoordinator Response (Version: 0) => error_code node_id host port
 *     error_code => INT16  node_id => INT32  host => STRING  port => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

/** keyType 0 = consumer group, 1 = transaction. */
export type FindCoordinatorRequest = { key: string; keyType: number }

export type FindCoordinatorResponse = {
  errorCode: number
  errorMessage: string | null
  nodeId: number
  host: string
  port: number
}

export function decodeFindCoordinatorRequestV0(r: Reader): FindCoordinatorRequest {
  return { key: r.string(), keyType: 0 }
}

export function encodeFindCoordinatorResponseV0(w: Writer, res: FindCoordinatorResponse): void {
  w.int16(res.errorCode).int32(res.nodeId).string(res.host).int32(res.port)
}
