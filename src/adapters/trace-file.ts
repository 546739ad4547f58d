/**
 * Streams trace files into the pure reader (src/core/traces/reader.ts). The only place traces touch the file
 * system. A file is read in 1 MiB chunks and handed over line by line, so memory stays flat whatever its size
 * (a 1 GB trace never sits in memory); `.gz` files are decompressed on the fly.
 *
 * `peakReplicas` needs the trace's peak before the first request can be scaled, so it reads the file twice:
 * once to measure the peak (into a rate series: a few numbers per model and minute), once to emit.
 */
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {createGunzip} from 'node:zlib'

import {UserError} from '../core/errors.js'
import {
  defaultMaxStepSeconds,
  type DemandUnit,
  expandRateSeries,
  type LoadedTrace,
  mergeRateSeries,
  mergeTokenMoments,
  mergeTraceTables,
  peakDemand,
  type RateSample,
  RateSeriesBuilder,
  rateScaleForPeak,
  type TokenDistributions,
  type TokenMoments,
  TokenMomentsBuilder,
  type TraceFormat,
  TraceLineReader,
  type TraceReadOptions,
  type TraceReadStats,
  type TraceRequest,
  TraceTableBuilder,
} from '../core/traces/index.js'

export interface TraceFileSource extends TraceReadOptions {
  path: string
  /** Scale the rate so the busiest model's busiest bucket needs this many replicas (instead of `rateScale`). */
  peakReplicas?: number
  /** With `peakReplicas`: what one replica serves at SLO, per second, in `capacityUnit`. */
  capacityPerReplica?: number
  capacityUnit?: DemandUnit
  /** Bucket width of the rate series and of the peak measurement (default 60 s). */
  bucketSeconds?: number
  /** Token lengths for rate layouts (default DEFAULT_TOKEN_DISTRIBUTIONS). */
  tokens?: TokenDistributions
  /** See RateSeriesOptions.maxStepSeconds (default 60 for alibaba-qps, else none). */
  maxStepSeconds?: number
}

export type TraceBatch = {kind: 'requests'; requests: TraceRequest[]} | {kind: 'rates'; samples: RateSample[]}

/** How much a batch holds at most (requests or rate samples); the reader hands over one per chunk read. */
const CHUNK_BYTES = 1 << 20

/**
 * A trace file as an async iterable of batches. `stats`, `rateScale` and `bytesRead` are final once iteration
 * ends. Iterate once.
 */
export class TraceFileReader implements AsyncIterable<TraceBatch> {
  stats: TraceReadStats | undefined
  rateScale: number | undefined
  bytesRead = 0

  constructor(readonly source: TraceFileSource) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<TraceBatch> {
    const scale = await resolveRateScale(this.source)
    this.rateScale = scale
    const reader = new TraceLineReader({...this.source, file: this.source.file ?? this.source.path, rateScale: scale})
    this.stats = reader.stats
    for await (const lines of readLineChunks(this.source.path, (n) => (this.bytesRead = n))) {
      for (const line of lines) reader.pushLine(line)
      yield* take(reader)
      if (reader.pastWindow) break
    }
    reader.end()
    yield* take(reader)
  }
}

export function readTraceFile(source: TraceFileSource): TraceFileReader {
  return new TraceFileReader(source)
}

export interface LoadTraceOptions {
  /**
   * Keep a per-request trace's requests in a table (default true). False reads the file to its rate series, stats
   * and token moments only, in memory that does not grow with the file: a streaming replay's first pass, which
   * then reads the requests again with streamTraceFiles.
   */
  table?: boolean
}

/**
 * Reads a trace whole into replay form: a request table (per-request layouts, unless `table: false`), a rate
 * series (all layouts) and, for per-request layouts, each model's token-length moments.
 */
export async function loadTraceFile(source: TraceFileSource, options: LoadTraceOptions = {}): Promise<LoadedTrace> {
  const file = readTraceFile(source)
  const keep = options.table ?? true
  let table: TraceTableBuilder | undefined
  let series: RateSeriesBuilder | undefined
  const moments = new TokenMomentsBuilder()
  for await (const batch of file) {
    series ??= seriesBuilder(source, file.stats!.format!)
    if (batch.kind === 'requests') {
      if (keep) table ??= new TraceTableBuilder()
      for (const r of batch.requests) {
        table?.add(r)
        series.addRequest(r)
        moments.add(r)
      }
    } else {
      for (const s of batch.samples) series.addRate(s)
    }
  }
  const stats = file.stats!
  const format = stats.format ?? source.traceFormat!
  series ??= seriesBuilder(source, format)
  const kind = stats.kind ?? 'requests'
  return {
    file: source.file ?? source.path,
    format,
    kind,
    table: kind === 'rates' || !keep ? undefined : (table ?? new TraceTableBuilder()).build(),
    series: series.build(),
    rateScale: file.rateScale!,
    stats,
    ...(kind === 'requests' ? {tokens: moments.build()} : {}),
  }
}

/**
 * Several traces mapped onto one clock (each source names its models with `model` or `modelMap`): their
 * requests merged in time order, and their rate series added up. They must share `bucketSeconds`.
 */
export async function loadTraceFiles(
  sources: TraceFileSource[],
  options: LoadTraceOptions = {},
): Promise<{
  traces: LoadedTrace[]
  series: LoadedTrace['series']
  table: LoadedTrace['table']
  tokens: Record<string, TokenMoments>
}> {
  const traces: LoadedTrace[] = []
  for (const source of sources) traces.push(await loadTraceFile(source, options))
  const tables = traces.flatMap((t) => (t.table ? [t.table] : []))
  return {
    traces,
    series: mergeRateSeries(traces.map((t) => t.series)),
    table: tables.length > 0 ? mergeTraceTables(tables) : undefined,
    tokens: mergeTokenMoments(traces.flatMap((t) => (t.tokens ? [t.tokens] : []))),
  }
}

/**
 * The requests of several trace files on one clock, streamed (a streaming replay's second pass): each file's
 * requests as read, merged by time the way mergeTraceTables merges tables (equal times keep the order of
 * `sources`, then of rows), in batches. Rate layouts contribute no requests (their load is their rate series).
 * Memory: a read chunk per file and one batch, whatever the files' size. Stops reading once the consumer does.
 */
export async function* streamTraceFiles(
  sources: TraceFileSource[],
  options: {batchSize?: number} = {},
): AsyncGenerator<TraceRequest[]> {
  const size = options.batchSize ?? 8192
  const iterators = sources.map((s) => readTraceFile(s)[Symbol.asyncIterator]())
  const heads = iterators.map(() => ({batch: [] as TraceRequest[], i: 0, done: false}))
  // The next batch of requests of file k (rate samples are skipped), or done.
  const refill = async (k: number): Promise<void> => {
    const head = heads[k]!
    while (!head.done && head.i >= head.batch.length) {
      const next = await iterators[k]!.next()
      if (next.done) head.done = true
      else if (next.value.kind === 'requests') [head.batch, head.i] = [next.value.requests, 0]
    }
  }
  try {
    if (iterators.length === 1) {
      // One file: its batches as read.
      for (;;) {
        await refill(0)
        const head = heads[0]!
        if (head.done) return
        yield head.batch
        head.i = head.batch.length
      }
    }
    for (let k = 0; k < heads.length; k++) await refill(k)
    let out: TraceRequest[] = []
    for (;;) {
      let best = -1
      let bestT = Infinity
      for (let k = 0; k < heads.length; k++) {
        const head = heads[k]!
        if (head.done) continue
        const t = head.batch[head.i]!.t
        if (best < 0 || t < bestT) [best, bestT] = [k, t]
      }
      if (best < 0) break
      const head = heads[best]!
      out.push(head.batch[head.i++]!)
      if (head.i >= head.batch.length) await refill(best)
      if (out.length >= size) {
        yield out
        out = []
      }
    }
    if (out.length > 0) yield out
  } finally {
    await Promise.all(iterators.map((it) => it.return?.(undefined)))
  }
}

/**
 * The requests of a trace file in time order, in batches, whatever its layout: per-request layouts stream as
 * read; rate layouts are read into their rate series first (a few numbers per model and minute) and expanded
 * lazily into a seeded Poisson process. What the twin replays.
 */
export async function* streamTraceRequests(
  source: TraceFileSource,
  options: {seed: number; batchSize?: number},
): AsyncGenerator<TraceRequest[]> {
  const file = readTraceFile(source)
  const builder: {series?: RateSeriesBuilder} = {}
  for await (const batch of file) {
    if (batch.kind === 'requests') yield batch.requests
    else {
      builder.series ??= seriesBuilder(source, file.stats!.format!)
      for (const s of batch.samples) builder.series.addRate(s)
    }
  }
  if (!builder.series) return
  const size = options.batchSize ?? 8192
  let out: TraceRequest[] = []
  for (const r of expandRateSeries(builder.series.build(), {seed: options.seed, tokens: source.tokens})) {
    out.push(r)
    if (out.length === size) {
      yield out
      out = []
    }
  }
  if (out.length > 0) yield out
}

async function resolveRateScale(source: TraceFileSource): Promise<number> {
  if (source.peakReplicas === undefined) return source.rateScale ?? 1
  if (source.rateScale !== undefined) throw new UserError(`${source.path}: give rateScale or peakReplicas, not both`)
  if (source.capacityPerReplica === undefined)
    throw new UserError(`${source.path}: peakReplicas needs the per-replica SLO capacity (capacityPerReplica)`)
  const measure = new TraceFileReader({...source, peakReplicas: undefined, rateScale: 1})
  let series: RateSeriesBuilder | undefined
  for await (const batch of measure) {
    series ??= seriesBuilder(source, measure.stats!.format!)
    if (batch.kind === 'requests') for (const r of batch.requests) series.addRequest(r)
    else for (const s of batch.samples) series.addRate(s)
  }
  const peak = series ? peakDemand(series.build(), source.capacityUnit).demand : 0
  if (!(peak > 0)) throw new UserError(`${source.path}: the trace has no demand, so peakReplicas cannot scale it`)
  return rateScaleForPeak(peak, source.capacityPerReplica, source.peakReplicas)
}

function seriesBuilder(source: TraceFileSource, format: TraceFormat): RateSeriesBuilder {
  // On the file's own clock (Unix seconds), bucket 0 is the first row's bucket rather than 1970's.
  const startSeconds = source.timeOrigin === 'source' ? 'first-bucket' : 0
  return new RateSeriesBuilder({
    bucketSeconds: source.bucketSeconds,
    startSeconds,
    tokens: source.tokens,
    maxStepSeconds: source.maxStepSeconds ?? defaultMaxStepSeconds(format),
  })
}

function* take(reader: TraceLineReader): Generator<TraceBatch> {
  const requests = reader.takeRequests()
  if (requests.length > 0) yield {kind: 'requests', requests}
  const samples = reader.takeRates()
  if (samples.length > 0) yield {kind: 'rates', samples}
}

/**
 * The file's lines, a chunk's worth at a time (the last line may lack its break); `onBytesRead` gets the bytes
 * read from disk so far (compressed bytes for `.gz`). Splitting by hand beats
 * readline here: one `split` per megabyte instead of an event per line.
 */
export async function* readLineChunks(
  path: string,
  onBytesRead: (total: number) => void = () => {},
): AsyncGenerator<string[]> {
  try {
    const info = await stat(path)
    if (info.isDirectory()) throw new UserError('trace path is a directory', {location: {file: path}})
  } catch (error) {
    if (error instanceof UserError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(
      code === 'ENOENT' ? 'trace file not found' : `cannot read trace file (${code ?? String(error)})`,
      {location: {file: path}, cause: error},
    )
  }
  const raw = createReadStream(path, {highWaterMark: CHUNK_BYTES})
  const stream = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw
  stream.setEncoding('utf8')
  let rest = ''
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop()!
      onBytesRead(raw.bytesRead)
      yield lines
    }
  } finally {
    raw.destroy()
  }
  if (rest.length > 0) yield [rest]
}
