import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Replaces `file` with `text` atomically: written to a temp file beside it (same file system, named
 * for this process so two writers never share one), then renamed over it. A crash leaves the old
 * file or the new one, never half of either. Creates the folder when missing.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, text)
  await rename(tmp, file)
}
