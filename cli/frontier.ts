/**
 * npm run frontier -- [--edge <records.json>] [--cloud <records.json>] [--models-dir models]
 *   [--policy <policy.json>] [--edge-price x] [--cloud-price y] [--min-confidence none,0.5,...]
 *   [--target-accuracy a] [--max-cost-per-1k c] [--json out.json] [--max-ms 600000]
 *
 * The policy frontier over calibration records, as the gateway's `policyFrontier` and
 * `recommendPolicy` compute it (lib/policy/replay): every candidate of the grid (edge budget ×
 * ladder none / one higher rung × minConfidence × cloud budget, the rest from the base policy)
 * replayed image by image with the edge's decide(), the Pareto frontier of cost per 1,000 images
 * against accuracy, printed as Markdown, and the recommendation for each target given.
 * Defaults: models/edge-vit-s/calibration.json and models/cloud-vit-m/calibration.json; latency
 * per budget and the budgets a policy may use from the manifests in --models-dir; the base policy
 * is the demo line's first one (services/gateway/src/policy/demo-seed.ts) unless --policy names a
 * `tokenline.policies.v2` body (validated as the gateway validates a policy update). Prices per
 * 1,000 tokens replace the policy's. Exit 2 for bad flags or an invalid policy, 1 for unreadable or
 * mismatched records.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { runMain } from '../lib/lifecycle/index.ts'
import { loadFrontierInputs } from './internal/frontier-inputs.ts'
import { frontierUsage, loadFrontierOptions } from './internal/frontier-options.ts'
import { formatFrontier, frontierReport } from './internal/frontier-report.ts'

runMain('frontier', async () => {
  const o = loadFrontierOptions(process.argv.slice(2))
  if (o.help) {
    process.stdout.write(`${frontierUsage}\n`)
    return
  }
  const { set, base } = await loadFrontierInputs({
    edge: o.edge,
    cloud: o.cloud,
    modelsDir: o.modelsDir,
    policy: {
      file: o.policy,
      ...(o.edgePrice === undefined ? {} : { edgePrice: o.edgePrice }),
      ...(o.cloudPrice === undefined ? {} : { cloudPrice: o.cloudPrice }),
    },
  })
  const report = frontierReport(set, base, o)
  process.stdout.write(formatFrontier(report))
  if (o.json !== undefined) {
    await mkdir(dirname(o.json), { recursive: true })
    await writeFile(o.json, `${JSON.stringify(report, null, 2)}\n`)
    process.stderr.write(`frontier: wrote ${o.json}\n`)
  }
})
