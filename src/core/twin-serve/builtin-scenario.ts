/**
 * The twin behind `gpu-scale sim serve` when no `--scenario` is given: the built-in fleet of `plan --sim`
 * (src/core/sim/default-scenario.ts: standard A100s, spot H100 × 4, a MIG pool and L4s, twelve nodes, four
 * models) as a running discrete-event twin, with steady Poisson load so the metrics move. Serving profiles scale
 * the one fitted base (Llama 3.1 8B, ./../twin/latency-model.ts) by parameter count, as scenario files do.
 */
import {defaultScenario} from '../sim/default-scenario.js'
import {AZURE_CONV_TOKENS, type TwinScenario} from '../twin/index.js'

export const BUILTIN_TWIN_SCENARIO = 'inference-fleet'

export function builtinTwinScenario(): TwinScenario {
  const {config, snapshot} = defaultScenario()
  const initialNodes: Record<string, number> = {}
  for (const node of snapshot.nodes) initialNodes[node.group] = (initialNodes[node.group] ?? 0) + 1
  const replicas = new Map(snapshot.workloads.map((w) => [w.name, w.specReplicas]))
  // Rates keep every model busy but under its replicas' capacity; embeddings and speech have short outputs.
  const load: Record<string, {rate: number; output: number; serving: {paramsB?: number; weightsGiB?: number}}> = {
    'llama-8b': {rate: 3, output: 211, serving: {}},
    'embed-bge': {rate: 4, output: 16, serving: {paramsB: 0.6, weightsGiB: 2}},
    'llama-70b': {rate: 0.5, output: 211, serving: {paramsB: 70, weightsGiB: 131}},
    'whisper-small': {rate: 0.5, output: 64, serving: {paramsB: 1, weightsGiB: 1}},
  }
  return {
    name: BUILTIN_TWIN_SCENARIO,
    description: 'The built-in fleet of plan --sim, running.',
    durationSeconds: 24 * 3600,
    options: {
      config,
      start: snapshot.capturedAt,
      seed: 1,
      initialNodes,
      models: config.models.map((m) => {
        const l = load[m.name] ?? {rate: 1, output: 211, serving: {}}
        return {
          name: m.name,
          replicas: replicas.get(m.workload.name) ?? m.replicas.min,
          serving: l.serving,
          load: {
            arrivals: {kind: 'poisson', rate: l.rate},
            input: AZURE_CONV_TOKENS.input,
            output: {...AZURE_CONV_TOKENS.output, mean: l.output},
          },
        }
      }),
      spot: {noticeSeconds: 120, ratePerNodeHour: 0, storms: [], replace: true},
      migReconfigureSeconds: 60,
      scrapeIntervalSeconds: 30,
      telemetryRetentionSeconds: 3600,
    },
    slo: {e2eSeconds: config.settings.slo.p95LatencySeconds ?? 2},
    sloByModel: {},
  }
}
