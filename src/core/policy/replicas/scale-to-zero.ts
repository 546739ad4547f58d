/**
 * Scale to zero and back, for models with `replicas.min: 0`. Only `workload`-source signals can wake a model:
 * they exist with no pods (a gateway queue, a request rate labelled with namespace and workload/model name).
 *
 * - At zero: any activation signal strictly above its `activationThreshold` (KEDA's rule: active when value > threshold)
 *   wakes the model; otherwise it stays at zero.
 * - Above zero: zero only after every activation signal stayed at or below its threshold for `idleSeconds`, with
 *   fresh samples covering the whole period (missing or stale data never scales down), and only when the
 *   expected gap to the next request is at least `cold start × keepWarmFactor` (otherwise a request would wait a
 *   whole cold start: keep one replica warm). The expected gap is the mean of the completed idle gaps in the
 *   activation signal's history; with no completed gap observed it is unknown and does not object.
 */
import type {ModelConfig, SignalConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import {seriesForWorkload, type TelemetryIndex} from '../../signals/telemetry-index.js'
import type {Sample} from '../../signals/window.js'

export interface ActivationState {
  signal: string
  threshold: number
  /** Newest fresh value, null when missing or stale. */
  value: number | null
  status: 'ok' | 'missing' | 'stale'
  /** Seconds the signal has stayed at or below the threshold with fresh samples (0 when active). */
  idleForSeconds: number
  expectedGapSeconds: number | null
}

export function listActivationSignals(model: ModelConfig): SignalConfig[] {
  return model.signals.filter((s) => s.source === 'workload')
}

export function readActivation(
  signal: SignalConfig,
  args: {
    telemetry: TelemetryIndex
    namespace: string
    names: readonly string[]
    now: number
    staleAfterSeconds: number
  },
): ActivationState {
  const threshold = signal.activationThreshold ?? 0
  const series = seriesForWorkload(args.telemetry, signal.metric, args.namespace, args.names)
  // Sum same-timestamp samples across series (a gateway may export one series per route).
  const totals = new Map<number, number>()
  for (const s of series)
    for (const [t, v] of s.samples) if (Number.isFinite(v) && t <= args.now) totals.set(t, (totals.get(t) ?? 0) + v)
  const samples: Sample[] = [...totals.entries()].sort((a, b) => a[0] - b[0])
  const base = {signal: signal.name, threshold}
  if (samples.length === 0)
    return {...base, value: null, status: 'missing', idleForSeconds: 0, expectedGapSeconds: null}
  const last = samples[samples.length - 1] as Sample
  if (last[0] < args.now - args.staleAfterSeconds)
    return {
      ...base,
      value: null,
      status: 'stale',
      idleForSeconds: 0,
      expectedGapSeconds: computeExpectedGap(samples, threshold),
    }
  let idleSince = last[1] > threshold ? args.now : (samples[0] as Sample)[0]
  for (let i = samples.length - 1; i >= 0; i--) {
    const [t, v] = samples[i] as Sample
    if (v > threshold) break
    // A gap in the samples longer than the staleness bound breaks the idle evidence.
    const next = samples[i + 1]
    if (next && next[0] - t > args.staleAfterSeconds) {
      idleSince = next[0]
      break
    }
    idleSince = t
  }
  return {
    ...base,
    value: last[1],
    status: 'ok',
    idleForSeconds: Math.max(0, args.now - idleSince),
    expectedGapSeconds: computeExpectedGap(samples, threshold),
  }
}

/** Mean duration of completed idle gaps (active → idle → active) in the history; null when none was seen. */
export function computeExpectedGap(samples: readonly Sample[], threshold: number): number | null {
  const gaps: number[] = []
  let idleStart: number | null = null
  let seenActive = false
  for (const [t, v] of samples) {
    if (v > threshold) {
      if (idleStart !== null && seenActive) gaps.push(t - idleStart)
      idleStart = null
      seenActive = true
    } else if (idleStart === null) {
      idleStart = t
    }
  }
  return gaps.length === 0 ? null : gaps.reduce((a, b) => a + b, 0) / gaps.length
}

export type ZeroVerdict =
  | {action: 'wake'; reason: Reason}
  | {action: 'stay-zero'; reason: Reason}
  | {action: 'zero'; reason: Reason}
  | {action: 'keep-warm'; reason: Reason}
  | {action: 'none'; reason: Reason | null}

/** Decides the zero boundary only; every other decision stays with the main algorithm. */
export function decideZero(args: {
  model: ModelConfig
  current: number
  activations: readonly ActivationState[]
  coldStartSeconds: number
  othersWant: number
}): ZeroVerdict {
  const {model, current, activations} = args
  if (model.replicas.min !== 0 || activations.length === 0) return {action: 'none', reason: null}
  const active = activations.filter((a) => a.status === 'ok' && (a.value as number) > a.threshold)
  const invalid = activations.filter((a) => a.status !== 'ok')
  const evidence = {
    activations: activations.map((a) => `${a.signal}=${a.value ?? a.status} (threshold ${a.threshold})`).join(', '),
  }
  if (current === 0) {
    if (active.length > 0) {
      const a = active[0] as ActivationState
      return {
        action: 'wake',
        reason: {
          code: 'Activation',
          message: `${a.signal} is ${a.value} > activation threshold ${a.threshold}: waking from zero`,
          evidence,
        },
      }
    }
    return {
      action: 'stay-zero',
      reason: {
        code: 'BelowActivationThreshold',
        message:
          invalid.length === activations.length
            ? 'no activation data: staying at zero'
            : 'no activation signal above its threshold: staying at zero',
        evidence,
      },
    }
  }
  const config = model.scaleToZero
  if (!config || active.length > 0 || args.othersWant > 1) return {action: 'none', reason: null}
  if (invalid.length > 0) {
    const a = invalid[0] as ActivationState
    return {
      action: 'none',
      reason: {
        code: a.status === 'stale' ? 'StaleTelemetry' : 'MissingTelemetry',
        message: `${a.signal} is ${a.status}: never scaling to zero without fresh activation data`,
        evidence,
      },
    }
  }
  const idleFor = Math.min(...activations.map((a) => a.idleForSeconds))
  if (idleFor < config.idleSeconds) {
    return {
      action: 'none',
      reason: {
        code: 'ScaleToZeroIdle',
        message: `idle for ${Math.round(idleFor)}s of the ${config.idleSeconds}s required before scaling to zero`,
        evidence: {...evidence, idleForSeconds: Math.round(idleFor), idleSeconds: config.idleSeconds},
      },
    }
  }
  const gaps = activations.map((a) => a.expectedGapSeconds).filter((g): g is number => g !== null)
  const expectedGap = gaps.length > 0 ? Math.min(...gaps) : null
  const needed = args.coldStartSeconds * config.keepWarmFactor
  if (expectedGap !== null && expectedGap < needed) {
    return {
      action: 'keep-warm',
      reason: {
        code: 'KeepWarm',
        message: `next request expected in ~${Math.round(expectedGap)}s, sooner than cold start ${Math.round(args.coldStartSeconds)}s × ${config.keepWarmFactor}: keeping 1 replica warm`,
        evidence: {
          ...evidence,
          expectedGapSeconds: Math.round(expectedGap),
          coldStartSeconds: args.coldStartSeconds,
          keepWarmFactor: config.keepWarmFactor,
        },
      },
    }
  }
  return {
    action: 'zero',
    reason: {
      code: 'ScaleToZeroIdle',
      message: `idle for ${Math.round(idleFor)}s ≥ ${config.idleSeconds}s${expectedGap === null ? ' (no request gap seen yet)' : ` and next request expected in ~${Math.round(expectedGap)}s ≥ ${Math.round(needed)}s`}: scaling to zero`,
      evidence: {
        ...evidence,
        idleForSeconds: Math.round(idleFor),
        expectedGapSeconds: expectedGap === null ? null : Math.round(expectedGap),
        coldStartSeconds: args.coldStartSeconds,
      },
    },
  }
}
