import { createHash } from 'node:crypto'

/**
 * Deterministic audit draw: the first 32 bits of sha256("audit:" + inspection id) as a fraction
 * in [0, 1). The same inspection always draws the same number, so a replay of a policy over
 * logged cases picks exactly the cases the edge picked live.
 */
export function auditDraw(inspectionId: string): number {
  const digest = createHash('sha256').update(`audit:${inspectionId}`).digest()
  return digest.readUInt32BE(0) / 2 ** 32
}
