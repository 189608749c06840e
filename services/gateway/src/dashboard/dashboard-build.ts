import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The dashboard's sources (Vite project root). */
export const dashboardSourceDir = resolve(import.meta.dirname, '../../web')
/** Where the built dashboard lands and where the gateway serves it from (git-ignored). */
export const dashboardDistDir = join(dashboardSourceDir, 'dist')

/** Newest modification time (ms) of the dashboard's sources, `dist/` excluded. */
function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Whether `dist/index.html` is missing or older than any source file. */
export function dashboardStale(sourceDir = dashboardSourceDir, distDir = join(sourceDir, 'dist')): boolean {
  const index = join(distDir, 'index.html')
  if (!existsSync(index)) return true
  return statSync(index).mtimeMs < newestSource(sourceDir)
}

/**
 * Builds the dashboard with Vite into `dist/` (hashed asset names, relative base so a gateway
 * behind a path prefix serves it unchanged). With `ifStale`, does nothing when the build is
 * newer than every source. Vite is imported only here, so the gateway process never loads it.
 */
export async function buildDashboard(
  options: { ifStale?: boolean; log?: (line: string) => void } = {},
): Promise<boolean> {
  if (options.ifStale && !dashboardStale()) return false
  const { build } = await import('vite')
  const started = performance.now()
  await build({
    root: dashboardSourceDir,
    base: './',
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: dashboardDistDir,
      emptyOutDir: true,
      target: 'es2022',
      // One small app: a single script and stylesheet keep the page to three requests.
      chunkSizeWarningLimit: 400,
    },
  })
  options.log?.(`dashboard built into ${dashboardDistDir} in ${Math.round(performance.now() - started)} ms`)
  return true
}
