/**
 * Benchmark: one warm tick of the built-in scenario with state carried over, as a control loop runs it every
 * 30 s: the previous tick's `plan.state` goes in with the snapshot, the JIT is warm, and nothing is hashed.
 * Prints the median of 20 warm ticks after 5 warm-up ticks. Target: well under the 30 s loop; < 50 ms here.
 * Run: npm run build && node dist/bench/warm-tick.js
 */
import type {Plan} from '../src/core/model/plan.js'
import {planCluster} from '../src/core/planner/plan-cluster.js'
import {defaultScenario} from '../src/core/sim/default-scenario.js'

const {config, snapshot} = defaultScenario()
let plan: Plan = planCluster({config, snapshot})
const times: number[] = []
for (let tick = 0; tick < 25; tick++) {
  const started = performance.now()
  plan = planCluster({config, snapshot: {...snapshot, state: plan.state}})
  if (tick >= 5) times.push(performance.now() - started)
}
const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] as number
console.log(
  `warm tick of the built-in scenario (${config.models.length} models, ${snapshot.nodes.length} nodes, ${snapshot.telemetry.length} series), state carried over: ${median.toFixed(1)} ms median of ${times.length} (target < 50 ms)`,
)
console.log(
  `plan: ${plan.summary.changes} changes, state: ${Object.keys(plan.state.models).length} models, ${plan.state.changes.length} changes in flight`,
)
const ok = median < 50
console.log(ok ? 'OK' : 'FAILED targets')
if (!ok) process.exitCode = 1
