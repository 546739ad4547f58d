/**
 * Benchmark: `sim serve --speed 60` with the built-in fleet (12 nodes, 4 models under Poisson load), as a user
 * runs it — the API server, the wall-clock driver (a tick every 100 ms), and a client scraping every exporter
 * target once a second as Prometheus would — for 20 s of wall time (20 simulated minutes). It prints the lag:
 * how many simulated seconds the twin's clock is behind its wall-clock target when a tick ends (p50/p99/max),
 * and the tick durations. Target: p99 lag < 6 simulated seconds (one 100 ms tick at 60×), i.e. it keeps up.
 * Run: npm run build && node dist/bench/sim-serve-lag.js [seconds]
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'

import {startSimServe} from '../src/services/sim-serve.js'

const WALL_SECONDS = Number(process.argv[2] ?? 20)
const SPEED = 60
const TARGET_P99 = 6

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-bench-serve-'))
const serve = await startSimServe({port: 0, speed: SPEED, kubeconfigOut: join(dir, 'twin.kubeconfig')})
const cpuStart = process.cpuUsage()
const wallStart = performance.now()
const virtualStart = serve.bound.twin.now
let scrapes = 0
let failed = 0
// A scraper that reads every target once a second, and a kubectl-like reader listing pods and nodes.
const scraper = setInterval(() => {
  for (const target of serve.bound.targets()) {
    void fetch(`${serve.info.metrics}${target.id}`).then(
      (r) => (r.ok ? scrapes++ : failed++),
      () => failed++,
    )
  }
  void fetch(`${serve.info.api}/api/v1/pods`).then((r) => r.text())
  void fetch(`${serve.info.api}/api/v1/nodes`).then((r) => r.text())
}, 1000)
await new Promise((resolve) => setTimeout(resolve, WALL_SECONDS * 1000))
clearInterval(scraper)
const lag = serve.lag()
const wall = (performance.now() - wallStart) / 1000
const simulated = serve.bound.twin.now - virtualStart
const cpu = process.cpuUsage(cpuStart)
await serve.close()
rmSync(dir, {recursive: true, force: true})

const snapshot = serve.bound.binding.snapshot
console.log(
  `fleet: ${snapshot.nodes.length} nodes, ${snapshot.pods.length} pods, ${serve.bound.twin.requests.length} requests finished, ${serve.bound.twin.telemetrySeriesCount} series`,
)
console.log(
  `wall ${wall.toFixed(1)} s, simulated ${simulated.toFixed(0)} s (${(simulated / wall).toFixed(1)}× real time at --speed ${SPEED}), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
)
console.log(`scrapes served ${scrapes}, failed ${failed}`)
console.log(
  `lag over ${lag.ticks} ticks (simulated seconds behind the wall-clock target): p50 ${lag.p50.toFixed(3)}, p99 ${lag.p99.toFixed(3)}, max ${lag.max.toFixed(3)} (target p99 < ${TARGET_P99})`,
)
if (lag.p99 >= TARGET_P99 || failed > 0) process.exit(1)
