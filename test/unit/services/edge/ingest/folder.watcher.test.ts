import { describe, expect, it } from 'vitest'
import { inspectionIdV1 } from '../../../../../lib/messaging/contracts/parts.v1.ts'
import { fileInspectionId } from '../../../../../services/edge/src/ingest/folder.watcher.ts'

describe('fileInspectionId', () => {
  it('is a valid UUID, the same for the same file and different when the file changes', () => {
    const id = fileInspectionId('line-a', 'part-1.png', 1234, 1_764_000_000_000)
    expect(inspectionIdV1.safeParse(id).success).toBe(true)
    expect(fileInspectionId('line-a', 'part-1.png', 1234, 1_764_000_000_000)).toBe(id)
    expect(fileInspectionId('line-a', 'part-1.png', 1235, 1_764_000_000_000)).not.toBe(id)
    expect(fileInspectionId('line-b', 'part-1.png', 1234, 1_764_000_000_000)).not.toBe(id)
    expect(fileInspectionId('line-a', 'part-1.png', 1234, 1_764_000_000_001)).not.toBe(id)
  })
})
