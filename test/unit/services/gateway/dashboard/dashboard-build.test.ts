import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { dashboardStale } from '../../../../../services/gateway/src/dashboard/dashboard-build.ts'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A web folder with one source file and, optionally, a build; mtimes in seconds since the epoch. */
function webFolder(sourceTime: number, buildTime?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenline-web-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'src', 'views'), { recursive: true })
  const source = join(dir, 'src', 'views', 'feed.view.ts')
  writeFileSync(source, 'export {}\n')
  utimesSync(source, sourceTime, sourceTime)
  if (buildTime !== undefined) {
    mkdirSync(join(dir, 'dist'))
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>')
    utimesSync(join(dir, 'dist', 'index.html'), buildTime, buildTime)
  }
  return dir
}

describe('dashboardStale', () => {
  it('is stale with no build', () => {
    expect(dashboardStale(webFolder(1_000))).toBe(true)
  })

  it('is stale when a source file (in a sub-folder) is newer than the build', () => {
    expect(dashboardStale(webFolder(2_000, 1_000))).toBe(true)
  })

  it('is fresh when the build is newer than every source, whatever dist/ itself holds', () => {
    const dir = webFolder(1_000, 2_000)
    writeFileSync(join(dir, 'dist', 'late.js'), '')
    expect(dashboardStale(dir)).toBe(false)
  })
})
