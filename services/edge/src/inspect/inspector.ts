import { randomUUID } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import type { EdgeInspectionRow, OutboxWrite, Storage } from '../../../../lib/db/index.ts'
import type { ImageInference, InferencePool, LoadedModel } from '../../../../lib/inference/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import {
  type EscalationV1,
  escalationV1,
  type PolicyV2,
  type ResultV1,
  resultV1,
} from '../../../../lib/messaging/index.ts'
import { type Decision, decide, type RungOutput, type TokenCounter } from '../../../../lib/policy/index.ts'
import { specFromManifest, tokenizeImage } from '../../../../lib/vision/index.ts'
import { EdgeError } from '../errors.ts'
import type { CapacityGuard } from '../housekeeping/capacity.guard.ts'
import type { EdgeMetrics } from '../metrics.ts'
import type { GroupCommit } from '../outbox/group-commit.ts'
import type { PolicyStore } from '../policy/policy.store.ts'
import { egressImage, type GridRegion } from './egress.ts'
import { checkImage, fromVisionError } from './image-check.ts'

export type IngestSource = 'http' | 'folder' | 'demo'

export type InspectRequest = {
  lineId: string
  bytes: Uint8Array
  contentType: string | undefined
  /** Overrides the policy's question for this image; null/undefined = the policy's. */
  question?: string | null
  source: IngestSource
  /**
   * Fixed id for an image that may be submitted again (a watched file after a crash): the second
   * commit of the same id changes nothing. Default: a new random UUID.
   */
  inspectionId?: string
}

/** One rung of the token ladder as the API reports it. */
export type RungAnswer = RungOutput & { tokens: number; latencyMs: number }

/** What ingest answers and `GET /v1/inspections/<id>` shows. */
export type InspectionAnswer = {
  inspectionId: string
  plantId: string
  lineId: string
  nodeId: string
  /** accepted | pending (the cloud is looking) | settled (cloud verdict) | held (a person decides) | fallback (past deadline, edge verdict kept). */
  status: EdgeInspectionRow['status']
  /** The final label, or `pending` / `held`. */
  verdict: string
  /** The edge's answer at its last rung. */
  edge: { label: string; confidence: number }
  cloud: { label: string; probabilities: Record<string, number>; answer: number | null } | null
  rungs: RungAnswer[]
  tokens: { edge: number; cloud: number }
  /** Why: the decision record (rule, values, thresholds) of the last rung. */
  decision: Decision
  policyVersion: number
  question: string | null
  /** Region sent to the cloud in grid cells of the deciding budget (egress `region`), else null. */
  region: GridRegion | null
  receivedAt: string
  decidedAt: string
  deadlineAt: string | null
}

export type InspectorDeps = {
  nodeId: string
  storage: Storage
  /** Writes each inspection with its outbox records (group commit). */
  commits: GroupCommit
  pool: InferencePool
  policies: PolicyStore
  /** Edge models this node runs, by manifest name. */
  edgeModels: Map<string, LoadedModel>
  /** Manifests of cloud models (for resizing escalations), by name. */
  cloudManifests: Map<string, ModelManifestV1>
  counter: TokenCounter
  guard: CapacityGuard
  metrics: EdgeMetrics
  log: Logger
  imagesDir: string
  limits: { maxInputPixels: number; maxInputBytes: number }
  clock?: () => Date
  /** Called after an inspection and its outbox rows are committed (wakes the relay). */
  onCommitted?: () => void
}

/**
 * One image's path through the edge: checks → token grid → edge model at the policy's budget →
 * decide → climb the ladder while unsure → commit the inspection with its outbox records (result,
 * and escalation with the image resized for the cloud) in one local transaction (group commit).
 */
export class Inspector {
  private readonly clock: () => Date

  constructor(private readonly deps: InspectorDeps) {
    this.clock = deps.clock ?? (() => new Date())
  }

  async inspect(req: InspectRequest): Promise<InspectionAnswer> {
    const { deps } = this
    const receivedAt = this.clock()
    const started = performance.now()
    if (!deps.policies.isServed(req.lineId)) {
      const served = deps.policies.servedLines().map((l) => l.lineId)
      throw new EdgeError(
        'EDGE_LINE_UNKNOWN',
        `expected line to be one of ${served.join(', ')} (served by edge node ${deps.nodeId}) but received ${JSON.stringify(req.lineId)}`,
      )
    }
    const policy = deps.policies.get(req.lineId)
    if (!policy)
      throw new EdgeError(
        'EDGE_LINE_NO_POLICY',
        `line ${req.lineId} has no policy on edge node ${deps.nodeId} yet: publish one on tokenline.policies.v2 (the gateway does at start) and retry`,
      )
    if (
      req.question !== undefined &&
      req.question !== null &&
      (req.question.length === 0 || req.question.length > 500)
    ) {
      throw new EdgeError(
        'EDGE_REQUEST_INVALID',
        `expected question of 1–500 characters but received ${req.question.length}`,
      )
    }
    checkImage(req.bytes, req.contentType)
    deps.guard.check()
    const model = deps.edgeModels.get(policy.edge.model)
    if (!model)
      throw new EdgeError(
        'EDGE_MODEL_UNAVAILABLE',
        `line ${req.lineId} policy v${policy.version} names edge model ${policy.edge.model}, which this node does not have`,
      )

    const inspectionId = req.inspectionId ?? randomUUID()
    const question = req.question ?? policy.question
    const rungs: RungAnswer[] = []
    const inferences: ImageInference[] = []
    let budget = policy.edge.budget
    let decision: Decision
    for (;;) {
      const { image, latencyMs } = await this.infer(model, budget, req.bytes)
      const rung: RungAnswer = {
        budget,
        tokens: budget,
        label: image.label,
        confidence: image.confidence,
        margin: image.margin,
        entropy: image.entropy,
        latencyMs,
      }
      rungs.push(rung)
      inferences.push(image)
      deps.metrics.rungs.inc({ line: req.lineId, budget: String(budget) })
      decision = decide({
        policy,
        inspectionId,
        rungs,
        cloudTokensThisHour: deps.counter.used(req.lineId, receivedAt.getTime()),
      })
      if (decision.action !== 'climb') break
      budget = decision.nextBudget
    }
    // Reserve the cloud tokens now, before any await, so concurrent cases see them against the cap.
    if (decision.action === 'escalate')
      deps.counter.add(policy.lineId, decision.cloudTokens, receivedAt.getTime())
    try {
      return await this.commit(
        req,
        policy,
        model,
        decision,
        rungs,
        inferences,
        inspectionId,
        question,
        receivedAt,
        started,
      )
    } catch (err) {
      if (decision.action === 'escalate')
        deps.counter.add(policy.lineId, -decision.cloudTokens, receivedAt.getTime())
      throw err
    }
  }

  private async commit(
    req: InspectRequest,
    policy: PolicyV2,
    model: LoadedModel,
    decision: Decision,
    rungs: RungAnswer[],
    inferences: ImageInference[],
    inspectionId: string,
    question: string | null,
    receivedAt: Date,
    started: number,
  ): Promise<InspectionAnswer> {
    const { deps } = this
    const last = inferences[inferences.length - 1]!
    const decidedAt = this.clock()
    const latencyMs = performance.now() - started
    const escalate = decision.action === 'escalate'
    const deadlineAt = escalate ? new Date(decidedAt.getTime() + policy.deadlineMs) : null

    const edgeInference = {
      model: { name: model.manifest.name, sha256: model.manifest.sha256 },
      budget: decision.budget,
      label: last.label,
      probabilities: probabilitiesOf(model.manifest.labels, last.probabilities),
      patchScores: last.patchScores ? Array.from(last.patchScores, clamp01) : [],
      latencyMs: rungs[rungs.length - 1]!.latencyMs,
    }
    const result: ResultV1 = {
      inspectionId,
      plantId: policy.plantId,
      lineId: policy.lineId,
      capturedAt: receivedAt.toISOString(),
      decidedAt: decidedAt.toISOString(),
      policyVersion: policy.version,
      question,
      edge: edgeInference,
      ladder: rungs.map((r) => r.budget),
      disposition:
        decision.action === 'accept' ? 'accepted' : decision.action === 'escalate' ? 'escalated' : 'held',
      escalationReason: decision.action === 'escalate' || decision.action === 'hold' ? decision.reason : null,
      latencyMs,
    }
    const outbox: OutboxWrite[] = [encodeRow(resultV1, inspectionId, policy.lineId, result)]
    let region: GridRegion | null = null
    if (decision.action === 'escalate') {
      const cloud = deps.cloudManifests.get(policy.cloud.model)
      if (!cloud)
        throw new EdgeError(
          'EDGE_MODEL_UNAVAILABLE',
          `line ${req.lineId} policy v${policy.version} names cloud model ${policy.cloud.model}, whose manifest is not under this node's models folder (needed to resize escalations)`,
        )
      const egress = await egressImage(req.bytes, policy, cloud, last.patchScores, deps.limits).catch(
        (err: unknown) => {
          throw fromVisionError(err)
        },
      )
      region = egress.region
      const escalation: EscalationV1 = {
        inspectionId,
        plantId: policy.plantId,
        lineId: policy.lineId,
        capturedAt: result.capturedAt,
        escalatedAt: result.decidedAt,
        deadlineAt: deadlineAt!.toISOString(),
        policyVersion: policy.version,
        reason: decision.reason,
        question,
        edge: edgeInference,
        ladder: result.ladder,
        cloud: { model: policy.cloud.model, budget: policy.cloud.budget },
        image: egress.image,
      }
      outbox.push(encodeRow(escalationV1, inspectionId, policy.lineId, escalation))
    }
    const keepImage = decision.action !== 'accept'
    const imagePath = keepImage
      ? join(deps.imagesDir, `${inspectionId}.${extensionOf(req.contentType)}`)
      : null
    if (imagePath) await writeFile(imagePath, req.bytes)
    const status =
      decision.action === 'accept' ? 'accepted' : decision.action === 'escalate' ? 'pending' : 'held'
    const recordedDecision = { ...decision, region, rungs }
    try {
      await deps.commits.submit({
        at: decidedAt,
        outbox,
        inspection: {
          id: inspectionId,
          nodeId: deps.nodeId,
          plantId: policy.plantId,
          lineId: policy.lineId,
          source: req.source,
          receivedAt,
          decidedAt,
          question,
          policyVersion: policy.version,
          status,
          disposition: result.disposition,
          escalationReason: result.escalationReason,
          decision: recordedDecision as unknown as Record<string, unknown>,
          edgeLabel: last.label,
          edgeConfidence: last.confidence,
          edgeProbabilities: edgeInference.probabilities,
          ladder: result.ladder,
          edgeLatencyMs: latencyMs,
          deadlineAt,
          finalLabel: decision.action === 'accept' ? last.label : null,
          settledAt: decision.action === 'accept' ? decidedAt : null,
          imagePath,
        },
      })
    } catch (err) {
      if (imagePath) await rm(imagePath, { force: true })
      throw err
    }
    this.count(policy, decision, req)
    deps.onCommitted?.()
    return answerOf(
      {
        inspectionId,
        plantId: policy.plantId,
        lineId: policy.lineId,
        nodeId: deps.nodeId,
        status,
        question,
        policyVersion: policy.version,
        edgeLabel: last.label,
        edgeConfidence: last.confidence,
        cloud: null,
        finalLabel: decision.action === 'accept' ? last.label : null,
        receivedAt,
        decidedAt,
        deadlineAt,
      },
      recordedDecision,
    )
  }

  /** The stored answer of an inspection of this node. */
  async get(id: string): Promise<InspectionAnswer> {
    const row = /^[0-9a-f-]{36}$/i.test(id) ? await this.deps.storage.edgeInspections.get(id) : undefined
    if (!row)
      throw new EdgeError(
        'EDGE_INSPECTION_NOT_FOUND',
        `no inspection ${JSON.stringify(id)} on edge node ${this.deps.nodeId}`,
      )
    return answerOf(
      {
        inspectionId: row.id,
        plantId: row.plantId,
        lineId: row.lineId,
        nodeId: row.nodeId,
        status: row.status,
        question: row.question,
        policyVersion: row.policyVersion,
        edgeLabel: row.edgeLabel,
        edgeConfidence: row.edgeConfidence,
        cloud:
          row.cloudLabel !== null
            ? { label: row.cloudLabel, probabilities: row.cloudProbabilities ?? {}, answer: row.cloudAnswer }
            : null,
        finalLabel: row.finalLabel,
        receivedAt: row.receivedAt,
        decidedAt: row.decidedAt,
        deadlineAt: row.deadlineAt,
      },
      row.decision as unknown as StoredDecision,
    )
  }

  private async infer(
    model: LoadedModel,
    budget: number,
    bytes: Uint8Array,
  ): Promise<{ image: ImageInference; latencyMs: number }> {
    let grid: Awaited<ReturnType<typeof tokenizeImage>>
    try {
      grid = await tokenizeImage(bytes, specFromManifest(model.manifest, budget, this.deps.limits))
    } catch (err) {
      throw fromVisionError(err)
    }
    const t0 = performance.now()
    let result: Awaited<ReturnType<InferencePool['infer']>>
    try {
      result = await this.deps.pool.infer({
        model: model.manifest.name,
        budget,
        tokens: grid.tokens,
        transfer: true,
      })
    } catch (err) {
      if ((err as { code?: string }).code === 'INFERENCE_QUEUE_FULL')
        throw new EdgeError('EDGE_QUEUE_FULL', (err as Error).message, { cause: err })
      if ((err as { code?: string }).code === 'INFERENCE_BUDGET_UNSUPPORTED')
        throw new EdgeError('EDGE_MODEL_UNAVAILABLE', (err as Error).message, { cause: err })
      throw err
    }
    const latencyMs = performance.now() - t0
    this.deps.metrics.inferenceSeconds.observe({ budget: String(budget) }, latencyMs / 1000)
    return { image: result.images[0]!, latencyMs }
  }

  private count(policy: PolicyV2, decision: Decision, req: InspectRequest): void {
    const m = this.deps.metrics
    m.imagesIn.inc({ line: policy.lineId, source: req.source })
    m.decided.inc({ line: policy.lineId, budget: String(decision.budget), action: decision.action })
    if (decision.action === 'escalate') {
      m.escalations.inc({ line: policy.lineId, reason: decision.reason })
      if (decision.reason === 'audit') m.audits.inc({ line: policy.lineId })
    }
  }
}

type StoredDecision = Decision & { region: GridRegion | null; rungs: RungAnswer[] }

function answerOf(
  s: {
    inspectionId: string
    plantId: string
    lineId: string
    nodeId: string
    status: EdgeInspectionRow['status']
    question: string | null
    policyVersion: number
    edgeLabel: string
    edgeConfidence: number
    cloud: InspectionAnswer['cloud']
    finalLabel: string | null
    receivedAt: Date
    decidedAt: Date
    deadlineAt: Date | null
  },
  stored: StoredDecision,
): InspectionAnswer {
  const { region, rungs, ...decision } = stored
  const verdict = s.finalLabel ?? (s.status === 'held' ? 'held' : 'pending')
  return {
    inspectionId: s.inspectionId,
    plantId: s.plantId,
    lineId: s.lineId,
    nodeId: s.nodeId,
    status: s.status,
    verdict,
    edge: { label: s.edgeLabel, confidence: s.edgeConfidence },
    cloud: s.cloud,
    rungs,
    tokens: {
      edge: rungs.reduce((sum, r) => sum + r.tokens, 0),
      cloud: decision.action === 'escalate' ? decision.cloudTokens : 0,
    },
    decision: decision as Decision,
    policyVersion: s.policyVersion,
    question: s.question,
    region,
    receivedAt: s.receivedAt.toISOString(),
    decidedAt: s.decidedAt.toISOString(),
    deadlineAt: s.deadlineAt?.toISOString() ?? null,
  }
}

function encodeRow<T>(
  contract: { topic: string; encode: (m: T) => { value: Buffer; headers: Record<string, string> } },
  inspectionId: string,
  key: string,
  message: T,
): OutboxWrite {
  const encoded = contract.encode(message)
  return { inspectionId, topic: contract.topic, key, value: encoded.value, headers: encoded.headers }
}

/** Label → probability, clamped to [0, 1] and rounded to 6 decimals (the sum stays within the contract's 1e-3). */
function probabilitiesOf(labels: readonly string[], p: Float32Array): Record<string, number> {
  const out: Record<string, number> = {}
  labels.forEach((label, i) => {
    out[label] = clamp01(p[i] ?? 0)
  })
  return out
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : Math.round(x * 1e6) / 1e6
}

function extensionOf(contentType: string | undefined): string {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  return t === 'image/jpeg' ? 'jpg' : t === 'image/webp' ? 'webp' : 'png'
}
