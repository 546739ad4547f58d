/**
 * Benchmark: trace parsing speed and memory. Streams the public traces (Azure LLM 2023 code and conv, Mooncake
 * conversation, Alibaba GenTD26 qps.csv) when they are present — they are never part of the repository: set
 * GPU_SCALE_SHARED_DATA, or keep them in ../shared/data or /work/shared/data — and a generated 1M-row file in
 * our per-request layout, in Azure's and in Mooncake's. Prints rows/s, MB/s and the peak RSS while
 * streaming, then the time and memory to load the 1M rows into replay form, then the oracle on each real trace
 * scaled so its peak needs 32 replicas (1 request/s each) with a 180 s cold start, as issue 12's benchmark does.
 * Targets: streaming keeps RSS growth under 128 MB (a 1 GB trace must not sit in memory); ≥ 300k rows/s.
 * Run: npm run build && node --expose-gc dist/bench/trace-parse.js
 */
import {closeSync, existsSync, openSync, rmSync, statSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {loadTraceFile, readTraceFile, type TraceFileSource} from '../src/adapters/trace-file.js'
import {computeOracle} from '../src/core/oracle/index.js'
import {formatTraceLines, generateSyntheticRequests, type TraceFormat} from '../src/core/traces/index.js'

const ROWS = 1_000_000
const gc = (globalThis as {gc?: () => void}).gc ?? (() => {})
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1)
let failed = false

interface Measured {
  rows: number
  seconds: number
  bytes: number
  rssBefore: number
  rssPeak: number
}

async function stream(source: TraceFileSource): Promise<Measured> {
  gc()
  const rssBefore = process.memoryUsage().rss
  let rssPeak = rssBefore
  const started = performance.now()
  const file = readTraceFile(source)
  let rows = 0
  for await (const batch of file) {
    rows += batch.kind === 'requests' ? batch.requests.length : batch.samples.length
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
  }
  return {rows, seconds: (performance.now() - started) / 1000, bytes: statSync(source.path).size, rssBefore, rssPeak}
}

function report(name: string, m: Measured): void {
  console.log(
    `  ${name.padEnd(34)} ${m.rows.toLocaleString('en').padStart(9)} rows  ${mb(m.bytes).padStart(6)} MB  ${(m.seconds * 1000).toFixed(0).padStart(6)} ms  ${Math.round(
      m.rows / m.seconds,
    )
      .toLocaleString('en')
      .padStart(
        10,
      )} rows/s  ${(m.bytes / 1048576 / m.seconds).toFixed(1).padStart(6)} MB/s  RSS peak ${mb(m.rssPeak)} MB (+${mb(m.rssPeak - m.rssBefore)})`,
  )
}

function writeGenerated(format: TraceFormat, path: string): void {
  // Poisson at 100 req/s until ROWS requests: written in slices so the file never sits in memory either.
  const requests = generateSyntheticRequests({
    seed: 12,
    pattern: 'bursty',
    durationSeconds: 1e9,
    models: [{name: 'llama', meanRps: 100}],
  })
  const limited = (function* () {
    let n = 0
    for (const r of requests) {
      if (n++ >= ROWS) return
      yield r
    }
  })()
  const fd = openSync(path, 'w')
  let slice: string[] = []
  for (const line of formatTraceLines(format, limited)) {
    slice.push(line)
    if (slice.length === 10_000) {
      writeSync(fd, slice.join('\n') + '\n')
      slice = []
    }
  }
  writeSync(fd, slice.join('\n') + '\n')
  closeSync(fd)
}

function sharedData(): string | undefined {
  const repo = fileURLToPath(new URL('../../', import.meta.url))
  const candidates = [process.env.GPU_SCALE_SHARED_DATA, join(repo, '../shared/data'), '/work/shared/data'].filter(
    (c): c is string => !!c,
  )
  return candidates.find((c) => existsSync(join(c, 'traces')))
}

console.log(`trace-parse: streaming parse, ${ROWS.toLocaleString('en')} generated rows and the public traces`)

const tmp = join(tmpdir(), `gpu-scale-bench-${process.pid}`)
const generated: Array<[TraceFormat, string]> = [
  ['requests-csv', `${tmp}-requests.csv`],
  ['azure-llm', `${tmp}-azure.csv`],
  ['mooncake-jsonl', `${tmp}-mooncake.jsonl`],
]
try {
  for (const [format, path] of generated) {
    const t0 = performance.now()
    writeGenerated(format, path)
    console.log(
      `  (generated ${format}, ${mb(statSync(path).size)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    )
  }
  for (const [format, path] of generated) {
    const m = await stream({path})
    report(`generated ${format}`, m)
    if (m.rows !== ROWS) [failed] = [true, console.log(`  FAIL: expected ${ROWS} rows, got ${m.rows}`)]
    if (m.rssPeak - m.rssBefore > 128 * 1048576)
      [failed] = [true, console.log('  FAIL: streaming grew RSS by more than 128 MB')]
    if (format === 'requests-csv' && m.rows / m.seconds < 300_000)
      [failed] = [true, console.log('  FAIL: below 300k rows/s')]
  }
  gc()
  const rssBefore = process.memoryUsage().rss
  const t0 = performance.now()
  const loaded = await loadTraceFile({path: generated[0]![1]})
  const seconds = (performance.now() - t0) / 1000
  console.log(
    `  load 1M rows into replay form        ${(seconds * 1000).toFixed(0)} ms, table ${mb(loaded.table!.length * 18)} MB, RSS ${mb(process.memoryUsage().rss)} MB (+${mb(process.memoryUsage().rss - rssBefore)}), ${loaded.series.buckets} buckets of 60 s`,
  )
} finally {
  for (const [, path] of generated) rmSync(path, {force: true})
}

const data = sharedData()
if (!data) {
  console.log('  public traces: not found (set GPU_SCALE_SHARED_DATA); skipped')
} else {
  const traces: Array<[string, TraceFileSource]> = [
    ['Azure LLM 2023 code', {path: join(data, 'traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv')}],
    ['Azure LLM 2023 conv', {path: join(data, 'traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv')}],
    ['Mooncake conversation', {path: join(data, 'traces/mooncake-fast25/conversation_trace.jsonl')}],
    ['Alibaba GenTD26 qps.csv', {path: join(data, 'traces/alibaba-genai-gentd26/qps.csv'), model: 'genai'}],
  ]
  const present = traces.filter(([, s]) => existsSync(s.path))
  for (const [name, source] of present) report(name, await stream(source))
  console.log('  oracle, peak scaled to 32 replicas at 1 req/s each, 180 s cold start, 60 s buckets:')
  for (const [name, source] of present) {
    const loaded = await loadTraceFile({...source, peakReplicas: 32, capacityPerReplica: 1})
    const demand = loaded.series.rps[0]!
    const t0 = performance.now()
    const oracle = computeOracle({demand, bucketSeconds: 60, capacityPerReplica: 1, coldStartSeconds: 180})
    const ms = performance.now() - t0
    const hours = (demand.length * 60) / 3600
    const g = oracle.gpuSeconds
    console.log(
      `  ${name.padEnd(34)} ${hours.toFixed(1).padStart(5)} h  oracle ${oracle.gpuHours.toFixed(1).padStart(6)} GPU-h = ${(oracle.gpuHours / (32 * hours)).toFixed(2)} × static peak (serving ${((g.serving / g.total) * 100).toFixed(0)}%, warm ${((g.idleWarm / g.total) * 100).toFixed(0)}%, cold ${((g.coldStart / g.total) * 100).toFixed(0)}%), ${(oracle.coldStarts / hours).toFixed(0)} cold starts/h, ${ms.toFixed(2)} ms`,
    )
  }
}

// The oracle on issue 12's speed case: a 14-day series for 3 models at 1-minute buckets.
{
  const buckets = 14 * 24 * 60
  const demand = Float64Array.from(
    {length: buckets},
    (_, i) => 16 + 12 * Math.sin((2 * Math.PI * i) / 1440) + 4 * Math.sin(i * 0.37),
  )
  const t0 = performance.now()
  for (let m = 0; m < 3; m++) computeOracle({demand, bucketSeconds: 60, capacityPerReplica: 1, coldStartSeconds: 180})
  console.log(
    `  oracle on 14 days × 3 models (${(3 * buckets).toLocaleString('en')} buckets): ${(performance.now() - t0).toFixed(1)} ms`,
  )
}

console.log(`  peak RSS of the whole run ${mb(process.resourceUsage().maxRSS * 1024)} MB`)
if (failed) process.exit(1)
