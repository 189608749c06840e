/**
 * `npm run build:web`: builds the dashboard (services/gateway/web → services/gateway/web/dist).
 * `--if-stale` builds only when dist/ is missing or older than a source file; `npm install`
 * (prepare), `npm start`, `npm run gateway` and `npm test` run it that way, so no step is extra.
 */
import { buildDashboard } from '../services/gateway/src/dashboard/dashboard-build.ts'

const ifStale = process.argv.includes('--if-stale')
try {
  const built = await buildDashboard({ ifStale, log: (line) => process.stdout.write(`${line}\n`) })
  if (!built) process.stdout.write('dashboard is up to date\n')
} catch (err) {
  process.stderr.write(`dashboard build failed: ${(err as Error).message}\n`)
  process.exit(1)
}
