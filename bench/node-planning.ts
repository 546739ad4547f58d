/**
 * Benchmark: plan a large fleet. A snapshot of 2,000 GPU nodes (16,000 GPUs: A100/H100/L4, a fifth of the A100
 * groups in MIG 3g.40gb), 500 models and 20 node groups, built with the scenario builder (seeded, reproducible)
 * and serialized to the snapshot file format. Prints the time to parse and validate the JSON text alone
 * (`parseSnapshot`), the time to plan it (`planCluster`), and peak RSS.
 * Targets: planning ≤ 1 × parse-and-validate time and ≤ 1 s; peak RSS < 512 MB.
 * Run: npm run build && node dist/bench/node-planning.js
 */
import {fingerprintTexts} from '../src/core/planner/fingerprint.js'
import {planCluster} from '../src/core/planner/plan-cluster.js'
import {scenario} from '../src/core/sim/scenario.js'
import {encodeSnapshot} from '../src/core/snapshot/codec.js'
import {parseSnapshot} from '../src/core/snapshot/parse.js'

const GROUPS = 20
const NODES_PER_GROUP = 100
const GPUS_PER_NODE = 8
const MODELS = 500

let peakRss = 0
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}

function buildFleet() {
  const b = scenario()
    .named('bench-fleet')
    .history(10, 60)
    .seeded(7)
    .settings({expanders: ['least-waste', 'price']})
  const kinds = ['A100-80GB', 'H100-80GB', 'L4']
  for (let g = 0; g < GROUPS; g++) {
    const model = kinds[g % kinds.length] as string
    const mig = model === 'A100-80GB' && g % 2 === 0
    b.nodeGroup(
      `g${String(g).padStart(2, '0')}`,
      {
        gpu: {model, count: GPUS_PER_NODE},
        max: NODES_PER_GROUP + 20,
        hourlyCost: 10 + g,
        labels: {pool: `p${g}`},
        capacityType: g % 4 === 3 ? 'spot' : 'on-demand',
        ...(mig ? {migConfigs: ['all-3g.40gb', 'all-disabled']} : {}),
        coldStart: {provisioning: '120s', driverInit: '60s', imagePull: '30s'},
      },
      {nodes: NODES_PER_GROUP},
    )
  }
  const signals = [
    {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 50, window: '3m'},
    {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'},
  ]
  for (let m = 0; m < MODELS; m++) {
    const g = m % GROUPS
    const gpuModel = kinds[g % kinds.length] as string
    const mig = gpuModel === 'A100-80GB' && g % 2 === 0
    const perGroup = MODELS / GROUPS
    // ~75% of each group's GPUs (or MIG slices) in use; loads spread so some models grow and some shrink.
    const replicas = mig
      ? Math.floor((NODES_PER_GROUP * GPUS_PER_NODE * 2 * 0.75) / perGroup)
      : Math.floor((NODES_PER_GROUP * GPUS_PER_NODE * 0.75) / perGroup)
    const level = [20, 45, 55, 80][m % 4] as number
    b.model(
      `model-${String(m).padStart(3, '0')}`,
      {
        gpu: mig ? {migProfile: '3g.40gb'} : {count: 1},
        replicas: {min: 1, max: replicas * 2},
        weights: {sizeGiB: gpuModel === 'L4' ? 8 : 16, loadGiBps: 1},
        kvCacheGiB: 4,
        nodeSelector: {pool: `p${g}`},
        signals,
      },
      {
        replicas,
        load: {gpuUtil: level, queue: (minutesAgo: number) => Math.max(0, level / 20 + (10 - minutesAgo) * 0.1)},
      },
    )
  }
  return b.build()
}

/** For profiling the planner alone (`NO_RUN=1`): the fleet, without running the benchmark. */
export function buildFleetForProfile(): ReturnType<typeof buildFleet> {
  return buildFleet()
}

if (process.env.NO_RUN !== '1') runBenchmark()

function runBenchmark(): void {
  const built = buildFleet()
  sampleRss()
  const text = JSON.stringify(encodeSnapshot(built.snapshot))
  sampleRss()
  const gpus = built.snapshot.nodes.reduce((n, node) => n + node.gpus.length, 0)

  // The first run of each phase includes JIT compilation (what one CLI invocation pays); the next ones are the
  // steady state (a watch loop). This shared 2-core machine is noisy, so the steady state is the median of four
  // runs. Both are printed; the targets are judged on the steady state, where parse and plan are compared alike.
  const configText = JSON.stringify(built.config)
  const runs: Array<{parseMs: number; planMs: number}> = []
  const results: Array<{snapshot: ReturnType<typeof parseSnapshot>; plan: ReturnType<typeof planCluster>}> = []
  for (let run = 0; run < 5; run++) {
    // Drop the previous run's snapshot and plan before measuring the next (bench/run.js passes --expose-gc).
    results.length = 0
    ;(globalThis as {gc?: () => void}).gc?.()
    const parseStart = performance.now()
    const snapshot = parseSnapshot(text, 'bench-fleet.json')
    const parseMs = performance.now() - parseStart
    sampleRss()
    // What `gpu-scale plan --snapshot` does after loading: fingerprint the input bytes, then plan.
    const planStart = performance.now()
    const plan = planCluster({config: built.config, snapshot, inputFingerprint: fingerprintTexts(configText, text)})
    const planMs = performance.now() - planStart
    sampleRss()
    runs.push({parseMs, planMs})
    results.push({snapshot, plan})
  }
  const {snapshot, plan} = results[0] as (typeof results)[number]
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  const first = runs[0] as {parseMs: number; planMs: number}
  const steady = {
    parseMs: median(runs.slice(1).map((r) => r.parseMs)),
    planMs: median(runs.slice(1).map((r) => r.planMs)),
  }
  console.log(
    `snapshot: ${snapshot.nodes.length} nodes, ${gpus} GPUs, ${snapshot.pods.length} pods, ${built.config.models.length} models, ${built.config.nodeGroups.length} groups, ${(text.length / 1e6).toFixed(1)} MB JSON`,
  )
  const line = (name: string, r: {parseMs: number; planMs: number}) =>
    `${name}: parse + validate ${r.parseMs.toFixed(0)} ms, plan ${r.planMs.toFixed(0)} ms (${(r.planMs / r.parseMs).toFixed(2)} × parse)`
  console.log(line('first run (cold JIT)       ', first))
  console.log(line('steady state (median of 4)', steady) + '; targets ≤ 1 × parse and ≤ 1000 ms')
  const ok = steady.planMs <= steady.parseMs && steady.planMs <= 1000 && peakRss < 512 * 1024 * 1024
  console.log(
    `plan: ${plan.summary.changes} changes (${plan.summary.byLayer.node} node, ${plan.summary.byLayer.pod} pod, ${plan.summary.byLayer.gpu} gpu), ${plan.summary.blocked} blocked`,
  )
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB (target < 512 MB)`)
  console.log(ok ? 'OK' : 'FAILED targets')
  if (!ok) process.exitCode = 1
}
