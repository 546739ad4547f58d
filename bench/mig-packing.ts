/**
 * Benchmark: pack a mixed MIG demand onto 1,000 GPUs of mixed models (seeded, reproducible) and print the time
 * taken and GPUs repartitioned against the lower bound. Targets: under 1 s, at most 1.02 × the lower bound.
 * Run: npm run build && node dist/bench/mig-packing.js
 */
import {createPrng, generatePackingCase, migProfilesFor, packMigDemand, type ProfileDemand} from '../src/core/mig/index.js'

const MODELS = ['A100-40GB', 'A100-80GB', 'H100-80GB', 'H100-94GB', 'H200-141GB', 'A30-24GB']
const GPUS = 1000

function buildDemand(seed: number): ProfileDemand[] {
  const prng = createPrng(seed)
  const demand: ProfileDemand[] = []
  for (const model of MODELS) {
    // Per model family: mostly 1g/2g/3g inference slices, some 4g, a few 2-memory-slice 1g.
    const profiles = migProfilesFor(model).filter((p) => !p.mediaExtensions && p.computeSlices < 7)
    for (const profile of profiles) {
      const count = profile.computeSlices === 4 ? 10 + prng.int(10) : 40 + prng.int(60)
      demand.push({key: `team-${model.toLowerCase()}/${profile.name}`, profile: profile.name, count})
    }
  }
  return demand
}

const bench = generatePackingCase(2024, {gpus: GPUS, models: MODELS, emptyShare: 0.6})
const demand = buildDemand(7)
const started = performance.now()
const result = packMigDemand(bench.gpus, demand)
const elapsedMs = performance.now() - started
const ratio = result.lowerBound.gpusTouched === 0 ? 1 : result.gpusTouched / result.lowerBound.gpusTouched
const placed = result.assignments.length
const requested = demand.reduce((s, d) => s + d.count, 0)

console.log(`mig-packing: ${GPUS} GPUs (${MODELS.join(', ')}), ${requested} instances demanded`)
console.log(`  method            ${result.method}`)
console.log(`  time              ${elapsedMs.toFixed(1)} ms (target < 1000 ms)`)
console.log(`  placed            ${placed} (${result.assignments.filter((a) => a.kind === 'existing').length} on free instances), unplaced ${requested - placed}`)
console.log(`  GPUs repartitioned ${result.gpusTouched}, lower bound ${result.lowerBound.gpusTouched} (${result.lowerBound.binding}), ratio ${ratio.toFixed(3)} (target ≤ 1.020)`)
console.log(`  pods disrupted    ${result.podsDisrupted}`)
console.log(`  stranded slices   ${result.fragmentation?.cluster.strandedMemorySlices ?? 0} of ${result.fragmentation?.cluster.freeMemorySlices ?? 0} free (profile ${result.fragmentation?.profile ?? '-'})`)
