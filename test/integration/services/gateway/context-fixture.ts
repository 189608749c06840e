import { join } from 'node:path'
import { EdgeClient } from '../../../../services/gateway/src/edge/edge.client.ts'
import { CalibrationStore } from '../../../../services/gateway/src/replay/calibration-store.ts'
import { ReplayService } from '../../../../services/gateway/src/replay/replay.service.ts'

/** An edge client with no edge configured (resolver tests that never submit). */
export function noEdge(): EdgeClient {
  return new EdgeClient({ defaultUrl: undefined, maxSubmitBytes: 4 * 1024 * 1024, timeoutMs: 30_000 })
}

/** Replay over the shipped models' calibration records. */
export function shippedReplay(): ReplayService {
  return new ReplayService(new CalibrationStore(join(import.meta.dirname, '../../../../models')), {
    maxMs: 10_000,
  })
}
