import type { LineRow, ModelRow, PolicyRow } from '../../../../lib/db/index.ts'
import { canSeePlant, requireRole } from '../auth/principal.ts'
import { GatewayError } from '../errors.ts'
import { policyWarnings, validatePolicy } from '../policy/policy.validation.ts'
import {
  type FieldProblem,
  type PolicyBody,
  policyBodyFromInput,
  policyView,
} from '../policy/policy-document.ts'
import type { GatewayContext } from './context.ts'
import { checkFirst } from './internal/page-size.ts'
import type { MutationResolvers, Policy, QueryResolvers } from './resolvers.generated.ts'

/** Largest `first` of policyHistory. */
const MAX_HISTORY = 100

export const policyQueries: Pick<QueryResolvers, 'policy' | 'policyHistory'> = {
  policy: async (_parent, { lineId, version }, ctx) => {
    const line = await visibleLine(ctx, lineId)
    const row =
      version == null
        ? await ctx.storage.policies.current(lineId)
        : await ctx.storage.policies.get(lineId, version)
    return row ? view(row, line, ctx) : null
  },
  policyHistory: async (_parent, { lineId, first }, ctx) => {
    checkFirst(first, MAX_HISTORY)
    const line = await visibleLine(ctx, lineId)
    const rows = await ctx.storage.policies.history(lineId, first)
    return Promise.all(rows.map((row) => view(row, line, ctx)))
  },
}

export const policyMutations: Pick<MutationResolvers, 'updatePolicy' | 'rollbackPolicy'> = {
  updatePolicy: async (_parent, { lineId, policy, reason }, ctx) => {
    const line = await visibleLine(ctx, lineId)
    requireRole(ctx.principal, 'admin', 'updatePolicy')
    const { body, problems } = policyBodyFromInput(policy, line)
    const models = await modelsOf(ctx)
    rejectIfAny(
      [...reasonProblems(reason), ...problems, ...validatePolicy(body, models)],
      `line ${lineId}'s new policy`,
    )
    const row = await ctx.storage.policies.append({
      lineId,
      author: ctx.principal.name,
      reason: reason.trim(),
      body: body as unknown as Record<string, unknown>,
    })
    ctx.events.emit('policyChanged', { row, plantId: line.plantId })
    return policyView(row, line.plantId, policyWarnings(body, models))
  },
  rollbackPolicy: async (_parent, { lineId, toVersion, reason }, ctx) => {
    const line = await visibleLine(ctx, lineId)
    requireRole(ctx.principal, 'admin', 'rollbackPolicy')
    rejectIfAny(reasonProblems(reason), `the rollback of line ${lineId}`)
    const target = await ctx.storage.policies.get(lineId, toVersion)
    if (!target)
      throw new GatewayError('GATEWAY_NOT_FOUND', `line ${lineId} has no policy version ${toVersion}`)
    // The models may have changed since that version: the edges must still be able to run it.
    const models = await modelsOf(ctx)
    const body = { ...(target.body as unknown as PolicyBody), plantId: line.plantId, lineId }
    rejectIfAny(validatePolicy(body, models), `version ${toVersion} of line ${lineId}, with today's models,`)
    const row = await ctx.storage.policies.rollback(lineId, toVersion, ctx.principal.name, reason.trim())
    ctx.events.emit('policyChanged', { row, plantId: line.plantId })
    return policyView(row, line.plantId, policyWarnings(body, models))
  },
}

/** `Line.policy`: the line (already visible to the key) has this current policy, or none. */
export async function currentPolicy(line: LineRow, ctx: GatewayContext): Promise<Policy | null> {
  const row = await ctx.currentPolicies.load(line.id)
  return row ? view(row, line, ctx) : null
}

/** A stored version as GraphQL's Policy, with warnings against the registered models. */
export async function view(
  row: PolicyRow,
  line: Pick<LineRow, 'plantId'>,
  ctx: GatewayContext,
): Promise<Policy> {
  const models = await modelsOf(ctx)
  const body = { ...(row.body as unknown as PolicyBody), plantId: line.plantId }
  return policyView(row, line.plantId, policyWarnings(body, models))
}

/** The line, when the key may see its plant; NOT_FOUND for a missing line and another plant's alike. */
export async function visibleLine(ctx: GatewayContext, lineId: string): Promise<LineRow> {
  const line = await ctx.storage.lines.get(lineId)
  if (!line || !canSeePlant(ctx.principal, line.plantId)) {
    throw new GatewayError('GATEWAY_NOT_FOUND', `no line ${JSON.stringify(lineId)}`)
  }
  return line
}

/** The registered models, read once per request (policies of many lines share them). */
const modelsByContext = new WeakMap<GatewayContext, Promise<ModelRow[]>>()
function modelsOf(ctx: GatewayContext): Promise<ModelRow[]> {
  let models = modelsByContext.get(ctx)
  if (!models) {
    models = ctx.storage.models.list()
    modelsByContext.set(ctx, models)
  }
  return models
}

function reasonProblems(reason: string): FieldProblem[] {
  return reason.trim() === ''
    ? [{ path: 'reason', message: 'expected a reason for the change; received an empty one' }]
    : []
}

function rejectIfAny(problems: FieldProblem[], what: string): void {
  if (problems.length === 0) return
  throw new GatewayError(
    'GATEWAY_POLICY_INVALID',
    `${what} has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    false,
    { extensions: { fields: problems } },
  )
}
