/**
 * The gpu-scale replica algorithm: HPA's math and behavior, plus smoothing, signal reliability, capacity-arriving
 * and scale-to-zero rules that GPU inference needs.
 *
 * MISSING AND STALE TELEMETRY, PER DIRECTION (the README quotes this block):
 *   - Never scale down on missing or stale data. A signal with no samples, or whose newest sample is older than
 *     `settings.staleAfterSeconds`, proposes nothing; if any signal is missing or stale, a decision below the
 *     current count is held at the current count (reason MissingTelemetry / StaleTelemetry).
 *   - Scale up on the signals that are valid. One valid signal above its target is enough to add replicas.
 *   - Serving pods without samples count as zero load on the way up and block the way down (PartialTelemetry).
 *   - Every gap is a diagnostic (warning) naming the signal, the metric and the pods.
 *   - Pods still pending, pulling or loading their model (not Ready within healthCheckGraceSeconds) are capacity
 *     arriving: their telemetry is not read, they are never idle capacity, and while any arrive the count is not
 *     lowered (CapacityArriving). They are part of spec.replicas already, so they are never counted twice.
 *   - Scale to zero needs fresh activation data covering the whole idle period.
 *
 * ORDER OF STEPS (each step returns its value and why):
 *   1. read every signal over its window → a proposal per signal, with the tolerance band per direction; a
 *      capacity-at-SLO signal (gpu-scale's defaults) sizes the count as request rate ÷ what a replica serves at
 *      SLO, learned from the replicas' own telemetry (./capacity-at-slo.ts);
 *   1b. guards, not sizers, beside it: a backlog is measured at the batch the replicas run (QueueAtBatchCapacity),
 *      and latency above the SLO adds no replica while nothing waits (LatencyWithoutBacklog): the burst that made
 *      it has drained, and the p95 window still remembers it;
 *   2. mark GPU-utilization proposals unreliable when other evidence says the replicas are saturated;
 *   3. combine: the highest valid proposal wins (a proposal never lowers the count on an unreliable signal);
 *   4. hold on missing/stale data and on arriving capacity (safety before smoothing, so a gap cannot be
 *      smoothed into a scale-down);
 *   5. stabilization windows (HPA semantics: the highest recommendation of the scale-down window wins);
 *   6. cooldown after the last scale event;
 *   7. rate policies and min/max bounds (HPA's convertDesiredReplicasWithBehaviorRate);
 *   8. the zero boundary: activation from zero, idle period and keep-warm before zero.
 */
import type {ModelConfig, SignalConfig} from '../../model/config.js'
import type {Diagnostic, Reason, Target} from '../../model/plan.js'
import {classifyBottleneck, collectEvidence, findSaturation, toEvidence} from '../../signals/bottleneck.js'
import {isHistogramMetric, UTILIZATION_METRICS, VLLM} from '../../signals/metric-names.js'
import {readSignal, type SignalReading} from '../../signals/read-signal.js'
import {limitScaleRate, stabilizeRecommendation} from './behavior.js'
import {assignPodRoles, type PodRoles} from './pod-roles.js'
import {estimateWeightLoadSeconds} from '../../scheduling/cold-start.js'
import {decideZero, listActivationSignals, readActivation} from './scale-to-zero.js'
import {estimateCapacity} from './capacity-at-slo.js'
import type {ReplicaDecision, ReplicaInput, SignalProposal} from './types.js'
import {formatPercent, formatPercentValue, roundForMessage} from '../../model/round.js'

/** What every step reads: the input, the pods by role and the signal-reading context. */
interface Step {
  input: ReplicaInput
  current: number
  target: Target
  roles: PodRoles
  names: string[]
  read: Parameters<typeof readSignal>[1]
}

export function recommendGpuScale(input: ReplicaInput): ReplicaDecision {
  const step = prepare(input)
  const {current} = step
  const reasons: Reason[] = []
  const diagnostics: Diagnostic[] = [...describeUnhealthyPods(step)]
  // 1. One proposal per signal.
  const proposals = readProposals(step, diagnostics)
  // 1b. A backlog measured against the batch a replica runs (capacity-view queue signals).
  measureQueueAtBatch(step, proposals, reasons)
  // 1c. Latency adds replicas only while requests wait, when a capacity-at-SLO signal sizes the count.
  guardLatencyWithoutBacklog(step, proposals, reasons)
  // 2. Utilization proposals that would hold or lower the count while other evidence shows saturation.
  const evidence = markUnreliableUtilization(step, proposals, reasons)
  // 3–4a. The highest valid proposal wins; never scale down on missing, stale or partial data.
  const combined = combineProposals(step, proposals, reasons)
  let decidedBy = combined.decidedBy
  // 4b. Arriving capacity is neither idle nor counted twice.
  const raw = holdForArrivingCapacity(step, combined.raw, reasons)
  if (raw !== combined.raw) decidedBy = null
  // 5. Stabilization over the recorded raw recommendations.
  const recommendation = {at: input.now, replicas: raw}
  let desired = stabilize(step, raw, reasons)
  // 6. Cooldown after the last scale event, per direction.
  desired = applyCooldown(step, desired, reasons)
  // 7. Rate policies and bounds.
  desired = applyRateAndBounds(step, desired, reasons)
  // 8. The zero boundary.
  const zero = applyZeroBoundary(step, desired, raw, reasons)
  desired = zero.desired
  if (zero.clearsDecider || desired === current) decidedBy = null

  return {
    current,
    desired,
    proposals,
    decidedBy,
    reasons,
    diagnostics,
    algorithm: 'gpu-scale',
    recommendation,
    pods: {
      serving: step.roles.serving.length,
      arriving: step.roles.arriving.length,
      unhealthy: step.roles.unhealthy.length,
    },
    ...(evidence ? {bottleneck: {kind: evidence.classification.kind, evidence: toEvidence(evidence.evidence)}} : {}),
  }
}

function prepare(input: ReplicaInput): Step {
  const {model, workload, settings, now} = input
  const current = workload.specReplicas
  const roles = assignPodRoles(input.pods, now, model.healthCheckGraceSeconds)
  const names = workloadNames(model)
  const podNames = roles.serving.map((p) => p.name)
  return {
    input,
    current,
    roles,
    names,
    target: {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace},
    read: {
      telemetry: input.telemetry,
      namespace: model.workload.namespace,
      workloadNames: names,
      podNames,
      memo: {telemetry: input.telemetry, podNames, readings: new Map<string, SignalReading>()},
      now,
      staleAfterSeconds: settings.staleAfterSeconds,
      // Serving pods then: today's serving count, shifted by the scale events since t.
      replicasAt: (t: number) => roles.serving.length + replicasServingAt(t, current, workload.scaleEvents) - current,
    },
  }
}

function describeUnhealthyPods({input, roles, target}: Step): Diagnostic[] {
  const {model, now} = input
  return roles.unhealthy.map((pod) => ({
    severity: 'warning',
    code: 'UnhealthyPod',
    message: `pod ${pod.name} is running but not ready ${Math.round(now - (pod.startedAt ?? pod.createdAt))}s after start (grace ${model.healthCheckGraceSeconds}s): not counted as capacity`,
    target,
    evidence: {pod: pod.name},
  }))
}

/** Step 1: one proposal per signal, and a diagnostic per telemetry gap. */
function readProposals(step: Step, diagnostics: Diagnostic[]): SignalProposal[] {
  const {input, current, roles, target} = step
  const {model, settings, now} = input
  // The capacity-at-SLO signal first: whether it sizes the count decides what a guard signal's target is.
  const sizer = model.signals.findIndex((s) => s.capacityAtSlo === true)
  const sized = sizer >= 0 ? proposeAtSloCapacity(step, model.signals[sizer] as SignalConfig, diagnostics) : null
  const isSized = sized !== null && isFitted(sized)
  return model.signals.map((configured, i) => {
    if (i === sizer && sized) return sized
    const signal =
      isSized && configured.guardTarget !== undefined ? {...configured, target: configured.guardTarget} : configured
    const reading = readSignal(signal, step.read)
    const proposal = proposeFromReading(signal, reading, model, current, roles.serving.length)
    if (signal !== configured)
      proposal.note = `saturation guard while ${sized?.signal} sizes: target ${signal.target}, not ${configured.target}${proposal.note ? `; ${proposal.note}` : ''}`
    for (const note of reading.notes)
      diagnostics.push({
        severity: 'info',
        code: 'MetricFallback',
        message: `${signal.name}: ${note}`,
        target,
        evidence: {signal: signal.name, metric: reading.metricRead},
      })
    if (proposal.status === 'missing' || proposal.status === 'stale') {
      const code = proposal.status === 'stale' ? 'StaleTelemetry' : 'MissingTelemetry'
      const detail =
        proposal.status === 'stale' && reading.lastSampleAt !== null
          ? `newest sample ${Math.round(now - reading.lastSampleAt)}s old (stale after ${settings.staleAfterSeconds}s)`
          : 'no samples'
      // At zero replicas pod signals cannot exist: that is expected, not a gap.
      if (!(current === 0 && signal.source !== 'workload')) {
        diagnostics.push({
          severity: 'warning',
          code,
          message: `${signal.name} (${signal.metric}): ${detail}; it cannot scale down`,
          target,
          evidence: {signal: signal.name, metric: signal.metric},
        })
      }
    } else if (
      reading.podsMissing.length + reading.podsStale.length > 0 &&
      signal.source !== 'workload' &&
      !isHistogramMetric(reading.metricRead)
    ) {
      diagnostics.push({
        severity: 'warning',
        code: 'PartialTelemetry',
        message: `${signal.name}: no fresh samples from ${[...reading.podsMissing, ...reading.podsStale].join(', ')}; counted as zero load, and no scale-down on this signal`,
        target,
        evidence: {signal: signal.name, missingPods: [...reading.podsMissing, ...reading.podsStale].join(',')},
      })
    }
    return proposal
  })
}

/**
 * Step 1, capacity-at-SLO signal: ⌈Σ request rate ÷ (capacity per replica at SLO × target)⌉. The rate is the
 * serving pods' (pods still loading serve nothing yet, so a count that includes them never multiplies a per-pod
 * reading); the capacity is fitted from their telemetry. Below the current count by no more than the scale-down
 * tolerance it holds. Without a fit it abstains (status idle) and says why: the guards decide meanwhile.
 */
function proposeAtSloCapacity(step: Step, signal: SignalConfig, diagnostics: Diagnostic[]): SignalProposal {
  const {input, current, roles, target} = step
  const {model, settings, now} = input
  const estimate = estimateCapacity({
    telemetry: input.telemetry,
    namespace: model.workload.namespace,
    pods: roles.serving.map((p) => p.name),
    now,
    fitWindowSeconds: signal.windowSeconds,
    arriving: roles.arriving.length,
    ...(settings.slo.tpotSeconds !== undefined ? {tpotSeconds: settings.slo.tpotSeconds} : {}),
  })
  const base: SignalProposal = {
    signal: signal.name,
    metric: signal.metric,
    value: null,
    target: signal.target,
    windowSeconds: signal.windowSeconds,
    aggregation: 'capacity-at-slo',
    replicas: null,
    status: 'idle',
    ratio: null,
  }
  if (estimate.status !== 'ok') {
    if (roles.serving.length > 0)
      diagnostics.push({
        severity: 'info',
        code: 'CapacityUnknown',
        message: `${signal.name}: no capacity at SLO yet (${estimate.why}); it holds ${current} replicas, and the queue, latency and KV-cache guards may add`,
        target,
        evidence: {signal: signal.name, points: estimate.points},
      })
    // Until it can measure, the sizer holds the count: the guards alone read far below their targets at most loads,
    // and a scale-down on them cut a fleet at 93% of its capacity (bench/decision-quality.ts, its lead-in).
    base.note = `no capacity fit: ${estimate.why}${current > 0 ? `; holds ${current}` : ''}`
    if (current > 0 && roles.serving.length > 0) {
      base.status = 'ok'
      base.replicas = current
    }
    return base
  }
  const need = estimate.demand / estimate.capacity
  let replicas = Math.ceil(need / signal.target - 1e-9)
  const ratio = current > 0 ? need / (signal.target * current) : null
  const tolDown = model.behavior.scaleDown.tolerance
  if (ratio !== null && replicas < current && ratio >= 1 - tolDown) replicas = current
  // Down, the count keeps each replica at most (1 − tolerance) of the target share: a need hovering at one
  // replica's edge (0.8 ↔ 0.85 of a replica) otherwise flips 1 ↔ 2 every window.
  if (replicas < current) replicas = Math.min(current, Math.ceil(need / (signal.target * (1 - tolDown)) - 1e-9))
  base.value = round(need)
  base.ratio = ratio === null ? null : round(ratio)
  base.status = 'ok'
  base.replicas = replicas
  base.note = `${roundForMessage(estimate.demand)} req/s${estimate.backlog > 0 ? ` (${roundForMessage(estimate.backlog)} of it backlog)` : ''} ÷ ${roundForMessage(estimate.capacity)} req/s per replica at SLO (${estimate.limitedBy === 'tpot' ? 'TPOT' : 'batch'}-limited; step ${roundForMessage(estimate.stepSeconds * 1000)} ms + ${roundForMessage(estimate.workSeconds * 1000)} ms × λτ, ${roundForMessage(estimate.outputTokens)} output tokens, batch ≤ ${roundForMessage(estimate.maxBatch)}; ${estimate.points} intervals) = ${roundForMessage(need)} replicas, at ${roundForMessage(signal.target * 100)}% of capacity ${replicas}`
  return base
}

/** A capacity-at-SLO proposal that sized the count (not one holding it for want of a fit). */
function isFitted(p: SignalProposal): boolean {
  return p.status === 'ok' && p.aggregation === 'capacity-at-slo' && p.value !== null && p.replicas !== null
}

/**
 * Step 1c: with a capacity-at-SLO signal sizing the count, a latency signal is a guard: above its target while no
 * request waits (the newest queue sample is zero on every serving pod), it proposes no more than the other signals'
 * highest. Its p95 window still holds a burst that has drained (p95 TTFT 3.8 s over 3 minutes, nothing waiting now):
 * ratio × pods on it added replicas for load that was gone (bench/decision-quality.ts, `p95-ttft=3.806→107`).
 */
function guardLatencyWithoutBacklog(step: Step, proposals: SignalProposal[], reasons: Reason[]): void {
  const {input, current} = step
  const signals = input.model.signals
  if (!signals.some((s) => s.capacityAtSlo === true)) return
  // The KV cache's guard is not judged here: at 50-80% with nothing waiting it still foresees a burst (on GenAI,
  // capping it at the sizer lost 1.3 points of attainment), though it makes a one-replica model flap (seed scenario).
  const isGuard = (s: SignalConfig) => s.quantile !== undefined
  const latency = signals
    .map((s, i) => ({s, p: proposals[i]}))
    .filter(({s, p}) => isGuard(s) && p?.status === 'ok' && p.replicas !== null && p.replicas >= current)
  if (latency.length === 0) return
  const waiting = readSignal(
    {
      name: 'latency-guard:waiting',
      metric: VLLM.waiting,
      source: 'pod',
      targetType: 'AverageValue',
      target: 1,
      windowSeconds: 60,
      aggregation: 'last',
    },
    step.read,
  )
  const backlog = waiting.status !== 'ok' || (waiting.total ?? 0) > 0
  // With the capacity known, latency neither adds nor holds: its demand includes the backlog, and the other signals'
  // highest decides. Without it, latency adds nothing while nothing waits, and may still hold the count.
  const sized = proposals.some((p, i) => signals[i]?.capacityAtSlo === true && isFitted(p))
  if (backlog && !sized) return
  const others = proposals.filter((p, i) => {
    const s = signals[i]
    return s !== undefined && !isGuard(s) && p.status === 'ok' && p.replicas !== null
  })
  const cap = Math.max(sized ? 0 : current, ...others.map((p) => p.replicas as number))
  for (const {s, p} of latency) {
    if (!p || (p.replicas as number) <= cap) continue
    if (backlog) {
      reasons.push({
        code: 'BacklogAtSloCapacity',
        message: `${s.name} ${roundForMessage(p.value ?? 0)}s is mostly waiting in a backlog that the capacity-at-SLO demand already counts: capped at ${cap}, not ${p.replicas}`,
        evidence: {signal: s.name, value: p.value, target: s.target, proposed: cap, byRatio: p.replicas},
      })
      p.note = `backlog sized at SLO capacity: capped at ${cap} (ratio × pods: ${p.replicas})`
      p.replicas = cap
      continue
    }
    reasons.push({
      code: 'LatencyWithoutBacklog',
      message: `${s.name} ${roundForMessage(p.value ?? 0)}s is near or above its target ${s.target}s but no request waits now: the backlog that made it has drained; capped at ${cap}, not ${p.replicas}`,
      evidence: {signal: s.name, value: p.value, target: s.target, waiting: 0, proposed: cap, byRatio: p.replicas},
    })
    p.note = `no backlog now: capped at ${cap} (ratio × pods: ${p.replicas})`
    p.replicas = cap
  }
}

/**
 * Step 1b: the capacity view of a queue signal (`capacityView`, set by gpu-scale's defaults). While requests wait,
 * the serving replicas run the largest batch they admit, so what a replica sustains is its running count now:
 * the backlog needs ⌈(running + waiting) ÷ running per replica⌉ replicas, where waiting ÷ target counts a backlog of
 * thousands as hundreds (a 2,000-request backlog on replicas that batch 300 each asks for 7 more, not 400).
 * It only lowers a scale-up (never below the current count: requests wait, so this signal never scales down),
 * and needs a running count to measure against (a batch of at least one per replica).
 */
function measureQueueAtBatch(step: Step, proposals: SignalProposal[], reasons: Reason[]): void {
  const {input, current} = step
  const signals = input.model.signals
  const sized = proposals.find((p, i) => signals[i]?.capacityAtSlo === true && isFitted(p))
  signals.forEach((signal, i) => {
    const p = proposals[i]
    if (signal.capacityView !== true || !p || p.status !== 'ok' || p.replicas === null || p.replicas <= current) return
    if (sized) {
      // The capacity at SLO is known: the backlog's growth and drain are part of its demand already.
      const cap = Math.max(current, sized.replicas as number)
      if (p.replicas <= cap) return
      reasons.push({
        code: 'BacklogAtSloCapacity',
        message: `${signal.name}: the backlog is part of ${sized.signal}'s demand (its growth, and its drain within a minute) at the capacity a replica has at SLO: ${cap} replicas, not ${p.replicas} (waiting ÷ ${signal.target})`,
        evidence: {signal: signal.name, proposed: cap, byTarget: p.replicas, sizedBy: sized.signal},
      })
      p.note = `backlog sized at SLO capacity: ${cap} (waiting ÷ target: ${p.replicas})`
      p.replicas = cap
      return
    }
    const waiting = readSignal(signal, step.read).total ?? 0
    const running = readSignal(
      {
        name: `${signal.name}:running`,
        metric: VLLM.running,
        source: 'pod',
        targetType: 'AverageValue',
        target: 1,
        windowSeconds: signal.windowSeconds,
        aggregation: 'avg',
      },
      step.read,
    )
    const reporting = running.podsWithData.length
    if (running.status !== 'ok' || reporting === 0 || running.total === null) return
    const batch = running.total / reporting
    if (batch < 1) return
    const atBatch = Math.max(current, Math.ceil((running.total + waiting) / batch - 1e-9))
    if (atBatch >= p.replicas) return
    const message = `${signal.name}: ${roundForMessage(waiting)} waiting + ${roundForMessage(running.total)} running at ${roundForMessage(batch)} per serving replica need ${atBatch} replicas, not ${p.replicas} (waiting ÷ ${signal.target})`
    reasons.push({
      code: 'QueueAtBatchCapacity',
      message,
      evidence: {
        signal: signal.name,
        waiting: round(waiting),
        running: round(running.total),
        batch: round(batch),
        proposed: atBatch,
        byTarget: p.replicas,
      },
    })
    p.note = `at batch capacity: ${atBatch} (waiting ÷ target: ${p.replicas})`
    p.replicas = atBatch
    // Latency while requests wait is time in the queue: it grows with the backlog's age, not with the load, so
    // ratio × pods on it (36 s ÷ 2 s × 9 pods = 162) sizes nothing; the backlog measured at batch does.
    input.model.signals.forEach((other, j) => {
      const q = proposals[j]
      if (other.quantile === undefined || !q || q.status !== 'ok' || q.replicas === null || q.replicas <= atBatch)
        return
      reasons.push({
        code: 'LatencyFromBacklog',
        message: `${other.name} ${roundForMessage(q.value ?? 0)}s is mostly waiting in a backlog that ${signal.name} sizes at ${atBatch} replicas: capped there, not ${q.replicas}`,
        evidence: {signal: other.name, value: q.value, proposed: atBatch, byRatio: q.replicas},
      })
      q.note = `backlog latency: capped at ${atBatch} (ratio × pods: ${q.replicas})`
      q.replicas = atBatch
    })
  })
}

/** Step 2: a utilization proposal that holds or lowers the count while saturation shows elsewhere is unreliable. */
function markUnreliableUtilization(
  step: Step,
  proposals: SignalProposal[],
  reasons: Reason[],
): {evidence: ReturnType<typeof collectEvidence>; classification: ReturnType<typeof classifyBottleneck>} | undefined {
  const {input, current, roles} = step
  const {model, settings} = input
  // The evidence is read only when something uses it: a utilization proposal that would hold or lower the count
  // (which saturation may overrule), or a model sized by memory (its GPU-share advice says whether it is
  // bandwidth bound). The multi-signal defaults have no utilization signal, so most plans read none of it: reading
  // DCGM and vLLM series over the window for every model was a quarter of a plan's time in the closed loop.
  const judged = proposals.some(
    (p) => UTILIZATION_METRICS.has(p.metric) && p.status === 'ok' && p.replicas !== null && p.replicas <= current,
  )
  if (!judged && model.gpu.kind !== 'memory') return undefined
  const windowSeconds = Math.max(...model.signals.map((s) => s.windowSeconds), 180)
  const evidence = roles.serving.length > 0 ? collectEvidence({...step.read, windowSeconds}) : {}
  const classification = classifyBottleneck(evidence, settings.slo)
  const saturation = findSaturation(evidence, settings.slo)
  const othersUp = proposals.filter(
    (p) => !UTILIZATION_METRICS.has(p.metric) && p.status === 'ok' && (p.replicas ?? 0) > current,
  )
  for (const p of proposals) {
    if (!UTILIZATION_METRICS.has(p.metric) || p.status !== 'ok' || p.replicas === null || p.replicas > current) continue
    const signs = [...saturation.map((s) => s.text), ...othersUp.map((o) => `${o.signal} wants ${o.replicas}`)]
    if (signs.length === 0) continue
    const decider =
      pickHighest(othersUp) ??
      pickHighest(proposals.filter((o) => o !== p && o.status === 'ok' && !UTILIZATION_METRICS.has(o.metric)))
    const label = describeUtil(p)
    const kind =
      classification.kind === 'memory-bandwidth-bound'
        ? 'memory-bandwidth bound'
        : classification.kind === 'pcie-bound'
          ? 'PCIe/transfer bound'
          : classification.kind === 'cpu-bound'
            ? 'CPU/preprocessing bound'
            : classification.kind === 'kv-cache-bound'
              ? 'KV-cache bound'
              : 'saturated'
    const message = `${label} but ${signs.join(', ')}: ${kind}; ${decider ? `scaling on ${decider.signal}` : 'holding replicas'}`
    p.status = 'unreliable'
    p.note = message
    reasons.push({
      code: 'UnreliableSignal',
      message,
      evidence: {signal: p.signal, value: round(p.value), ...toEvidence(evidence)},
    })
  }
  return {evidence, classification}
}

/** Steps 3–4a: the highest valid proposal; a decrease is held when any signal is missing, stale or partial. */
function combineProposals(
  step: Step,
  proposals: readonly SignalProposal[],
  reasons: Reason[],
): {raw: number; decidedBy: string | null} {
  const {input, current} = step
  const {model} = input
  const valid = proposals.filter((p) => p.status === 'ok' && p.replicas !== null)
  const unreliable = proposals.filter((p) => p.status === 'unreliable')
  const invalid = proposals.filter((p) => p.status === 'missing' || p.status === 'stale')
  if (model.signals.length === 0) {
    reasons.push({code: 'NoSignals', message: 'no signals configured: replicas stay as they are', evidence: {current}})
    return {raw: current, decidedBy: null}
  }
  if (valid.length === 0 && unreliable.length === 0 && invalid.length === 0) {
    // Every signal is a latency histogram with no finished request: nothing says more or fewer replicas.
    reasons.push({
      code: 'NoRecentRequests',
      message: `no request finished in any signal's window: holding ${current} replicas`,
      evidence: {current},
    })
    return {raw: current, decidedBy: null}
  }
  if (valid.length === 0 && unreliable.length === 0) {
    const code = invalid.some((p) => p.status === 'missing') ? 'MissingTelemetry' : 'StaleTelemetry'
    if (current > 0 || listActivationSignals(model).length === 0)
      reasons.push({
        code,
        message: `no valid signal (${invalid.map((p) => `${p.signal}: ${p.status}`).join(', ')}): holding ${current} replicas`,
        evidence: {current},
      })
    return {raw: current, decidedBy: null}
  }
  const best = pickHighest(valid)
  let raw = Math.max(best?.replicas ?? 0, unreliable.length > 0 ? current : 0)
  let decidedBy = best && best.replicas === raw ? best.signal : null
  const secondary = new Set(model.signals.filter((sig) => sig.secondary === true).map((sig) => sig.name))
  const primaryBest = pickHighest(valid.filter((p) => !secondary.has(p.signal)))
  if (best && secondary.has(best.signal) && raw === current && (primaryBest?.replicas ?? 0) < current) {
    reasons.push({
      code: 'SecondaryHold',
      message: `${best.signal} ${roundForMessage(best.value ?? 0)} is above its target ${best.target}: holding ${current}, not ${Math.max(primaryBest?.replicas ?? 0, model.replicas.min)} (${primaryBest ? `highest primary: ${primaryBest.signal}` : 'no primary signal'})`,
      evidence: {
        signal: best.signal,
        value: best.value,
        target: best.target,
        current,
        wanted: primaryBest?.replicas ?? null,
      },
    })
  } else reasons.push(describeProposalOutcome(best, raw, current))
  if (raw < current && invalid.length > 0) {
    const p = invalid[0] as SignalProposal
    reasons.push({
      code: p.status === 'stale' ? 'StaleTelemetry' : 'MissingTelemetry',
      message: `${invalid.map((q) => `${q.signal} is ${q.status}`).join(', ')}: not scaling down on missing or stale data (holding ${current}, not ${raw})`,
      evidence: {wanted: raw, current},
    })
    raw = current
    decidedBy = null
  }
  const partial = valid.filter((p) => p.partial === true)
  if (raw < current && partial.length > 0) {
    reasons.push({
      code: 'PartialTelemetry',
      message: `${partial.map((p) => p.signal).join(', ')} lack samples from some serving pods: not scaling down (holding ${current}, not ${raw})`,
      evidence: {wanted: raw, current},
    })
    raw = current
    decidedBy = null
  }
  return {raw, decidedBy}
}

/** Step 4b: pods still pending or loading are capacity arriving: never idle, never counted twice. */
function holdForArrivingCapacity({roles, current}: Step, raw: number, reasons: Reason[]): number {
  if (roles.arriving.length === 0 || current === 0) return raw
  const evidence = {serving: roles.serving.length, arriving: roles.arriving.length, current, wanted: raw}
  if (raw < current) {
    reasons.push({
      code: 'CapacityArriving',
      message: `${roles.arriving.length} pod(s) still pending or loading are capacity arriving, not idle: holding ${current}, not ${raw}`,
      evidence,
    })
    return current
  }
  if (raw === current || raw > roles.serving.length) {
    reasons.push({
      code: 'CapacityArriving',
      message: `${roles.arriving.length} pod(s) pending or loading are already part of the ${current} replicas${raw > current ? `; adding ${raw - current} more` : ''}`,
      evidence,
    })
  }
  return raw
}

/** Step 5: HPA's stabilization windows over the recorded raw recommendations. */
function stabilize({input, current}: Step, raw: number, reasons: Reason[]): number {
  const {model, workload, now} = input
  const stabilized = stabilizeRecommendation({
    current,
    desired: raw,
    now,
    history: workload.recommendations,
    upWindowSeconds: model.behavior.scaleUp.stabilizationWindowSeconds,
    downWindowSeconds: model.behavior.scaleDown.stabilizationWindowSeconds,
  })
  if (stabilized.reason) reasons.push(stabilized.reason)
  return stabilized.value
}

/** Step 6: no move in a direction within its cooldown after the last scale event. */
function applyCooldown({input, current}: Step, desired: number, reasons: Reason[]): number {
  const {model, workload, now} = input
  const lastEvent = workload.scaleEvents.reduce<number | null>((a, e) => (a === null || e.at > a ? e.at : a), null)
  if (lastEvent === null || desired === current) return desired
  const rules = desired > current ? model.behavior.scaleUp : model.behavior.scaleDown
  const since = now - lastEvent
  if (since >= rules.cooldownSeconds) return desired
  reasons.push({
    code: 'Cooldown',
    message: `last scale event ${Math.round(since)}s ago, inside the ${rules.cooldownSeconds}s scale-${desired > current ? 'up' : 'down'} cooldown: holding ${current}, not ${desired}`,
    evidence: {sinceSeconds: Math.round(since), cooldownSeconds: rules.cooldownSeconds, wanted: desired},
  })
  return current
}

/** Step 7: rate policies and bounds. Zero is reached only through step 8, so the floor here is at least 1. */
function applyRateAndBounds({input, current}: Step, desired: number, reasons: Reason[]): number {
  const {model, workload, now} = input
  const floor = Math.max(model.replicas.min, 1)
  const limited = limitScaleRate({
    current,
    desired,
    min: floor,
    max: model.replicas.max,
    events: workload.scaleEvents,
    now,
    scaleUp: model.behavior.scaleUp,
    scaleDown: model.behavior.scaleDown,
  })
  if (limited.reason) reasons.push(limited.reason)
  if (current > model.replicas.max && limited.value > model.replicas.max) {
    reasons.push({
      code: 'TooManyReplicas',
      message: `current ${current} is above replicas.max ${model.replicas.max}`,
      evidence: {current, max: model.replicas.max},
    })
    return model.replicas.max
  }
  if (current < floor && limited.value < floor && current > 0) {
    reasons.push({
      code: 'TooFewReplicas',
      message: `current ${current} is below replicas.min ${floor}`,
      evidence: {current, min: floor},
    })
    return floor
  }
  return limited.value
}

/** Step 8: activation from zero, the idle period before zero, keep-warm. */
function applyZeroBoundary(
  {input, current, names}: Step,
  desired: number,
  raw: number,
  reasons: Reason[],
): {desired: number; clearsDecider: boolean} {
  const {model, settings, now} = input
  const activations = listActivationSignals(model).map((s) =>
    readActivation(s, {
      telemetry: input.telemetry,
      namespace: model.workload.namespace,
      names,
      now,
      staleAfterSeconds: settings.staleAfterSeconds,
    }),
  )
  const zero = decideZero({
    model,
    current,
    activations,
    coldStartSeconds: input.coldStartSeconds ?? estimateWeightLoadSeconds(model),
    othersWant: raw,
  })
  if (zero.action === 'wake') {
    reasons.push(zero.reason)
    return {desired: Math.min(Math.max(1, model.replicas.min, raw), model.replicas.max), clearsDecider: false}
  }
  if (zero.action === 'stay-zero' || zero.action === 'zero') {
    reasons.push(zero.reason)
    return {desired: 0, clearsDecider: true}
  }
  if (zero.action === 'keep-warm') {
    reasons.push(zero.reason)
    return {desired: Math.max(desired, 1), clearsDecider: false}
  }
  if (zero.reason) {
    reasons.push(zero.reason)
    return {desired, clearsDecider: false}
  }
  if (current === 0 && model.replicas.min > 0) {
    const raised = Math.min(model.replicas.min, model.replicas.max)
    reasons.push({
      code: 'TooFewReplicas',
      message: `raised from 0 to replicas.min ${raised}`,
      evidence: {min: model.replicas.min},
    })
    return {desired: raised, clearsDecider: false}
  }
  // min 0 with no workload-level signal: nothing can tell us to wake, and nothing told us to; stay put.
  if (current === 0 && desired > 0 && listActivationSignals(model).length === 0)
    return {desired: 0, clearsDecider: false}
  return {desired, clearsDecider: false}
}

/**
 * One signal's proposal. AverageValue on pods: `ceil(Σ per-pod values / target)` (= HPA's `ceil(ratio × pods)`),
 * serving pods without samples counting as zero; AverageValue on the workload: `ceil(value / target)` with the
 * tolerance judged per current replica (HPA's External AverageValue); Value: `ceil(ratio × serving pods)`.
 */
export function proposeFromReading(
  signal: SignalConfig,
  reading: SignalReading,
  model: ModelConfig,
  current: number,
  serving: number,
): SignalProposal {
  const base: SignalProposal = {
    signal: signal.name,
    metric: signal.metric,
    value: reading.value === null ? null : round(reading.value),
    target: signal.target,
    windowSeconds: signal.windowSeconds,
    aggregation: signal.quantile !== undefined ? `p${Math.round(signal.quantile * 100)}` : signal.aggregation,
    replicas: null,
    status: reading.status,
    ratio: null,
  }
  if (reading.status !== 'ok' || reading.value === null) return base
  if (reading.metricRead !== signal.metric) base.note = `read ${reading.metricRead}`
  const tolDown = model.behavior.scaleDown.tolerance
  const tolUp = model.behavior.scaleUp.tolerance
  const within = (r: number) => 1 - tolDown <= r && r <= 1 + tolUp
  let ratio: number
  let replicas: number
  if (signal.targetType === 'AverageValue' && signal.source !== 'workload') {
    ratio = reading.value / signal.target
    replicas = within(ratio) ? current : Math.ceil((reading.total ?? 0) / signal.target - 1e-9)
  } else if (signal.targetType === 'AverageValue') {
    ratio = current > 0 ? reading.value / (signal.target * current) : Infinity
    replicas = within(ratio) ? current : Math.ceil(reading.value / signal.target - 1e-9)
  } else {
    ratio = reading.value / signal.target
    const pods = current === 0 ? 1 : Math.max(serving, 1)
    replicas = within(ratio) && current > 0 ? current : Math.ceil(ratio * pods - 1e-9)
  }
  base.ratio = Number.isFinite(ratio) ? round(ratio) : null
  // A secondary signal (a GPU metric in gpu-scale's defaults) holds the count while it is above its target and
  // abstains below it; it never adds a replica, and never sizes the count by itself: DRAM activity is not
  // proportional to load (each decode step reads the weights whatever the batch), so a proportional floor kept
  // replicas that served nothing (bench/decision-quality.ts).
  if (signal.secondary === true) {
    const above = reading.value > signal.target
    base.replicas = above && current > 0 ? current : null
    base.note = above
      ? `secondary: above target, holds ${current}${replicas > current ? ` (wants ${replicas}, never adds)` : ''}`
      : 'secondary: at or below target, holds nothing'
    return base
  }
  base.replicas = replicas
  if (within(ratio) && current > 0) base.note = `within tolerance [${round(1 - tolDown)}, ${round(1 + tolUp)}]`
  if (reading.podsMissing.length + reading.podsStale.length > 0 && signal.source !== 'workload' && replicas < current) {
    base.note = `partial: ${reading.podsWithData.length} of ${reading.podsWithData.length + reading.podsMissing.length + reading.podsStale.length} serving pods reported`
    base.partial = true
  }
  return base
}

function pickHighest(list: readonly SignalProposal[]): SignalProposal | null {
  let best: SignalProposal | null = null
  for (const p of list) if (p.replicas !== null && (best === null || p.replicas > (best.replicas as number))) best = p
  return best
}

function describeProposalOutcome(best: SignalProposal | null, raw: number, current: number): Reason {
  if (!best || raw === current) {
    return {
      code: 'WithinTolerance',
      message: best
        ? `highest proposal ${best.replicas} (${best.signal}); signals within tolerance or held: no change from ${current}`
        : `no change from ${current}`,
      evidence: {current, ...(best ? {signal: best.signal, value: best.value, target: best.target} : {})},
    }
  }
  const what = `${best.signal} ${best.value === null ? 'n/a' : roundForMessage(best.value)} vs target ${best.target} (${best.aggregation} over ${best.windowSeconds}s)`
  const evidence = {
    signal: best.signal,
    metric: best.metric,
    value: best.value,
    target: best.target,
    proposed: raw,
    current,
  }
  if (raw > current)
    return {code: 'ScaleUpSignal', message: `${what} proposes ${raw} replicas (from ${current})`, evidence}
  return {
    code: 'ScaleDownSignal',
    message: `every valid signal is below target; highest: ${what} proposes ${raw} (from ${current})`,
    evidence,
  }
}

function describeUtil(p: SignalProposal): string {
  const v = p.value ?? 0
  if (p.metric === 'DCGM_FI_DEV_GPU_UTIL') return `GPU util ${formatPercentValue(v)}`
  return `${p.signal} ${v <= 1 ? formatPercent(v) : roundForMessage(v)}`
}

export function workloadNames(model: ModelConfig): string[] {
  return model.workload.name === model.name ? [model.name] : [model.workload.name, model.name]
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1000) / 1000
}

/** spec.replicas at time t, rebuilt from the current count by undoing the scale events after t. */
export function replicasServingAt(
  t: number,
  current: number,
  events: readonly {at: number; from: number; to: number}[],
): number {
  let replicas = current
  for (const e of [...events].sort((a, b) => b.at - a.at)) {
    if (e.at <= t) break
    replicas = e.from
  }
  return replicas
}
