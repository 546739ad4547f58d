/**
 * HPA `behavior`: stabilization windows and rate policies, ported from the HPA controller so that both algorithms
 * share one exact implementation. Every step returns its value and, when it changed the count, why.
 * Source: https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/podautoscaler/horizontal.go
 */
import type {ScalingRules} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {ScaleEvent} from '../../model/snapshot.js'

export interface StepResult {
  value: number
  reason: Reason | null
}

export interface Recommendation {
  at: number
  replicas: number
}

/**
 * `stabilizeRecommendationWithBehaviors`: the count moves up only to the lowest recommendation of the scale-up
 * window and down only to the highest of the scale-down window; records newer than `now - window` count (strictly
 * after the cutoff, as `timestamp.After(cutoff)`).
 */
export function stabilizeRecommendation(args: {
  current: number
  desired: number
  now: number
  history: readonly Recommendation[]
  upWindowSeconds: number
  downWindowSeconds: number
}): StepResult {
  const {current, desired, now, history} = args
  let up = desired
  let down = desired
  for (const rec of history) {
    if (rec.at > now - args.upWindowSeconds) up = Math.min(rec.replicas, up)
    if (rec.at > now - args.downWindowSeconds) down = Math.max(rec.replicas, down)
  }
  let value = current
  if (value < up) value = up
  if (value > down) value = down
  if (value === desired) return {value, reason: null}
  // Rising, the lowest recent recommendation holds it back; falling, the highest.
  const rising = desired >= current
  const windowSeconds = rising ? args.upWindowSeconds : args.downWindowSeconds
  const [code, were, extreme] = rising
    ? (['ScaleUpStabilized', 'lower', 'lowest'] as const)
    : (['ScaleDownStabilized', 'higher', 'highest'] as const)
  return {
    value,
    reason: {
      code,
      message: `recent recommendations were ${were}: holding at ${value} (${extreme} in the last ${windowSeconds}s) instead of ${desired}`,
      evidence: {desired, stabilized: value, windowSeconds},
    },
  }
}

/** Replicas added (up) or removed (down) by scale events newer than `now - periodSeconds`. */
export function sumReplicaChanges(
  events: readonly ScaleEvent[],
  now: number,
  periodSeconds: number,
  direction: 'up' | 'down',
): number {
  let total = 0
  for (const e of events) {
    if (!(e.at > now - periodSeconds)) continue
    if (direction === 'up' && e.to > e.from) total += e.to - e.from
    if (direction === 'down' && e.to < e.from) total += e.from - e.to
  }
  return total
}

/** `calculateScaleUpLimitWithScalingRules`: the most the count may reach now, given the period's past changes. */
export function computeScaleUpLimit(
  current: number,
  events: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  // Percent rounds up, "because the proposed change might not increase the replica count causing the target to never scale up".
  return limitByPolicies(current, events, rules, now, 'up', (periodStart, policy) =>
    policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100)),
  )
}

/** `calculateScaleDownLimitWithBehaviors`: the least the count may reach now. Percent truncates like Go's int32(). */
export function computeScaleDownLimit(
  current: number,
  events: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  return limitByPolicies(current, events, rules, now, 'down', (periodStart, policy) =>
    policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100)),
  )
}

/**
 * The limit the rules allow in one direction: each policy proposes a count from the count at the start of its
 * period; `Min` takes the smallest change (the tightest limit), `Max` the largest. No policy, or `Disabled`: current.
 */
function limitByPolicies(
  current: number,
  events: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
  direction: 'up' | 'down',
  propose: (periodStart: number, policy: ScalingRules['policies'][number]) => number,
): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current
  const proposals = rules.policies.map((policy) =>
    propose(
      current -
        sumReplicaChanges(events, now, policy.periodSeconds, 'up') +
        sumReplicaChanges(events, now, policy.periodSeconds, 'down'),
      policy,
    ),
  )
  const takeLowest = (direction === 'up') === (rules.selectPolicy === 'Min')
  return takeLowest ? Math.min(...proposals) : Math.max(...proposals)
}

/**
 * `convertDesiredReplicasWithBehaviorRate`: rate policies and min/max bounds, applied in the direction of the
 * move only (a count already outside the bounds is the caller's business, as in HPA's reconcile pre-checks).
 */
export function limitScaleRate(args: {
  current: number
  desired: number
  min: number
  max: number
  events: readonly ScaleEvent[]
  now: number
  scaleUp: ScalingRules
  scaleDown: ScalingRules
}): StepResult {
  const {current, desired, min, max, events, now} = args
  if (desired > current) {
    const limit = Math.max(computeScaleUpLimit(current, events, args.scaleUp, now), current)
    if (max > limit) {
      if (desired > limit)
        return {
          value: limit,
          reason: {
            code: 'ScaleUpLimit',
            message: `scale-up rate policy (${describePolicies(args.scaleUp)}) allows ${limit} now, not ${desired}`,
            evidence: {desired, limit, selectPolicy: args.scaleUp.selectPolicy},
          },
        }
    } else if (desired > max) {
      return {
        value: max,
        reason: {
          code: 'TooManyReplicas',
          message: `capped at replicas.max ${max} (signals want ${desired})`,
          evidence: {desired, max},
        },
      }
    }
  } else if (desired < current) {
    const limit = Math.min(computeScaleDownLimit(current, events, args.scaleDown, now), current)
    if (min < limit) {
      if (desired < limit)
        return {
          value: limit,
          reason: {
            code: 'ScaleDownLimit',
            message: `scale-down rate policy (${describePolicies(args.scaleDown)}) allows ${limit} now, not ${desired}`,
            evidence: {desired, limit, selectPolicy: args.scaleDown.selectPolicy},
          },
        }
    } else if (desired < min) {
      return {
        value: min,
        reason: {
          code: 'TooFewReplicas',
          message: `raised to replicas.min ${min} (signals want ${desired})`,
          evidence: {desired, min},
        },
      }
    }
  }
  return {value: desired, reason: null}
}

/** HPA's legacy path (no `spec.behavior`): `stabilizeRecommendation` keeps the highest recommendation of the window. */
export function stabilizeLegacy(
  desired: number,
  now: number,
  history: readonly Recommendation[],
  windowSeconds: number,
): StepResult {
  let value = desired
  // Upstream drops records *before* the cutoff, so one exactly at the cutoff still counts.
  for (const rec of history) if (!(rec.at < now - windowSeconds) && rec.replicas > value) value = rec.replicas
  if (value === desired) return {value, reason: null}
  return {
    value,
    reason: {
      code: 'ScaleDownStabilized',
      message: `recent recommendations were higher: holding at ${value} (highest in the last ${windowSeconds}s)`,
      evidence: {desired, stabilized: value, windowSeconds},
    },
  }
}

/** HPA's legacy `convertDesiredReplicasWithRules`: bounds plus the `max(2×current, 4)` scale-up cap per sync. */
export function limitLegacy(current: number, desired: number, min: number, max: number): StepResult {
  const scaleUpLimit = Math.max(2 * current, 4)
  const maxAllowed = max > scaleUpLimit ? scaleUpLimit : max
  if (desired < min)
    return {
      value: min,
      reason: {code: 'TooFewReplicas', message: `raised to minReplicas ${min}`, evidence: {desired, min}},
    }
  if (desired > maxAllowed) {
    return max > scaleUpLimit
      ? {
          value: maxAllowed,
          reason: {
            code: 'ScaleUpLimit',
            message: `legacy scale-up cap max(2×${current}, 4) = ${scaleUpLimit}`,
            evidence: {desired, limit: scaleUpLimit},
          },
        }
      : {
          value: maxAllowed,
          reason: {code: 'TooManyReplicas', message: `capped at maxReplicas ${max}`, evidence: {desired, max}},
        }
  }
  return {value: desired, reason: null}
}

function describePolicies(rules: ScalingRules): string {
  const parts = rules.policies.map(
    (p) => `${p.type === 'Pods' ? `${p.value} pods` : `${p.value}%`}/${p.periodSeconds}s`,
  )
  return `${parts.join(', ')}; select ${rules.selectPolicy}`
}
