/**
 * One serving replica (a vLLM engine) under continuous batching, simulated per engine step but without an event
 * per step: between two boundaries that change the batch (an admission, a finished prompt, a finished sequence)
 * the decode steps are analytic. With B sequences and K KV tokens at the run's start, step k lasts
 * p + q·k (p = a + c·B + d·K, q = d·B: every step appends one token per sequence), so n steps take
 * S(n) = n·p + q·n(n−1)/2 and the run is jumped in O(1). When the compute roof e·B is above p, the steps last e·B
 * (p = e·B, q = 0) until the fitted step catches up, where the run ends and a linear one starts. An arrival during a run cuts it at the end of the step
 * in progress, where vLLM's scheduler would first see the request.
 *
 * Scheduling follows vLLM V1: decodes first, then prompt chunks FIFO within max_num_batched_tokens (chunked
 * prefill, decode tokens count against the budget); at most max_num_seqs sequences. Admission reserves a request's
 * whole context (prompt + output) in the KV cache, so a batch never has to preempt — vLLM allocates blocks as
 * tokens come and preempts on overflow instead; the twin trades that for never modelling recomputation.
 */
import {Histogram, ITL_BUCKETS, E2E_BUCKETS, TTFT_BUCKETS} from './telemetry.js'
import {stepActivity, type ServingProfile} from './latency-model.js'

export interface TwinRequest {
  id: number
  model: number
  arrival: number
  input: number
  output: number
  prefillLeft: number
  firstTokenAt: number
  /** Closed-loop client that sent it (it sends the next one when this one ends). */
  client: number
}

interface Seq {
  req: TwinRequest
  join: number
  finish: number
}

interface PrefillRun {
  kind: 'prefill'
  t0: number
  end: number
  duration: number
  batch: number
  chunk: Array<{req: TwinRequest; tokens: number}>
  smRatio: number
  dramRatio: number
}

interface DecodeRun {
  kind: 'decode'
  t0: number
  end: number
  s0: number
  batch: number
  p: number
  q: number
  target: number
  smRatio: number
  dramRatio: number
}

export interface ReplicaHooks {
  /** Wake the replica at `time` unless its version moved on. */
  wake(replica: Replica, time: number, version: number): void
  /** A request ended: served (`ok`) or aborted/rejected. */
  finish(replica: Replica, req: TwinRequest, time: number, ok: boolean): void
}

export class Replica {
  private waiting: TwinRequest[] = []
  private waitHead = 0
  private prefilling: TwinRequest[] = []
  private decoding: Seq[] = []
  private step = 0
  private kvReserved = 0
  private sumPrompt = 0
  private sumJoin = 0
  private run: PrefillRun | DecodeRun | null = null
  version = 0
  draining = false

  // Activity since the last scrape, in seconds.
  private acctT: number
  private busy = 0
  private sm = 0
  private dram = 0

  readonly ttft = new Histogram(TTFT_BUCKETS)
  readonly itl = new Histogram(ITL_BUCKETS)
  readonly e2e = new Histogram(E2E_BUCKETS)
  promptTokens = 0
  generationTokens = 0
  succeeded = 0

  constructor(
    readonly profile: ServingProfile,
    private readonly hooks: ReplicaHooks,
    now: number,
    readonly owner: unknown,
  ) {
    this.acctT = now
  }

  get waitingCount(): number {
    return this.waiting.length - this.waitHead
  }

  get runningCount(): number {
    return this.prefilling.length + this.decoding.length
  }

  get outstanding(): number {
    return this.waitingCount + this.runningCount
  }

  /** KV-cache usage as vLLM reports it at `now`: tokens held ÷ capacity (0–1), counting decode steps done so far. */
  kvUsageAt(now: number): number {
    let tokens = this.kvTokens()
    const run = this.run
    if (run?.kind === 'decode') tokens += run.batch * stepsWithin(run.p, run.q, now - run.t0)
    return Math.min(1, tokens / this.profile.kvCapacityTokens)
  }

  enqueue(req: TwinRequest, now: number): void {
    this.waiting.push(req)
    if (this.run === null) {
      this.boundary(now)
    } else if (this.run.kind === 'decode' && this.waitingCount === 1 && this.canAdmit(req)) {
      this.cutRun(now)
    }
  }

  onWake(version: number, now: number): void {
    if (version !== this.version) return
    this.boundary(now)
  }

  /** Activity since the last call, then reset: what a scrape reads. */
  takeActivity(now: number): {busy: number; sm: number; dram: number} {
    this.accountTo(now)
    const out = {busy: this.busy, sm: this.sm, dram: this.dram}
    this.busy = this.sm = this.dram = 0
    return out
  }

  /** Ends every request on this replica (the pod died): admitted ones are aborted, waiting ones returned. */
  abortAll(now: number): TwinRequest[] {
    this.accountTo(now)
    this.version++
    this.run = null
    for (const req of this.prefilling) this.hooks.finish(this, req, now, false)
    for (const seq of this.decoding) this.hooks.finish(this, seq.req, now, false)
    this.prefilling = []
    this.decoding = []
    const rest = this.waiting.slice(this.waitHead)
    this.waiting = []
    this.waitHead = 0
    this.kvReserved = this.sumPrompt = this.sumJoin = 0
    return rest
  }

  private kvTokens(): number {
    return this.sumPrompt + this.decoding.length * this.step - this.sumJoin
  }

  private canAdmit(req: TwinRequest): boolean {
    return (
      this.runningCount < this.profile.maxNumSeqs &&
      this.kvReserved + req.input + req.output <= this.profile.kvCapacityTokens
    )
  }

  private cutRun(now: number): void {
    const run = this.run as DecodeRun
    const n = stepsWithin(run.p, run.q, now - run.t0)
    if (run.s0 + n + 1 >= run.target) return
    run.target = run.s0 + n + 1
    run.end = run.t0 + elapsed(run.p, run.q, n + 1)
    this.version++
    this.hooks.wake(this, run.end, this.version)
  }

  private boundary(now: number): void {
    if (this.run) this.finishRun(now)
    this.run = null
    this.startNext(now)
  }

  private accountTo(t: number): void {
    const run = this.run
    if (run) {
      const dt = Math.min(t, run.end) - this.acctT
      if (dt > 0) {
        this.busy += dt
        this.sm += dt * run.smRatio
        this.dram += dt * run.dramRatio
      }
    }
    this.acctT = t
  }

  private finishRun(now: number): void {
    this.accountTo(now)
    const run = this.run as PrefillRun | DecodeRun
    if (run.kind === 'decode') {
      const n = run.target - run.s0
      this.itl.observeLinear(run.p, run.q, n, run.batch)
      this.generationTokens += n * run.batch
      this.step = run.target
    } else {
      this.step += 1
      this.itl.observe(run.duration, run.batch)
      this.generationTokens += run.batch
      for (const {req, tokens} of run.chunk) {
        req.prefillLeft -= tokens
        this.promptTokens += tokens
        if (req.prefillLeft > 0) continue
        this.prefilling.splice(this.prefilling.indexOf(req), 1)
        req.firstTokenAt = now
        this.ttft.observe(now - req.arrival)
        this.generationTokens += 1
        if (req.output <= 1) {
          this.complete(req, 0, now)
          continue
        }
        this.insertSeq({req, join: this.step, finish: this.step + req.output - 1})
        this.sumPrompt += req.input
        this.sumJoin += this.step
      }
    }
    let done = 0
    while (done < this.decoding.length && (this.decoding[done] as Seq).finish <= this.step) done++
    if (done > 0) {
      const finished = this.decoding.splice(0, done)
      for (const seq of finished) {
        this.sumPrompt -= seq.req.input
        this.sumJoin -= seq.join
        this.complete(seq.req, seq.join, now)
      }
    }
  }

  private complete(req: TwinRequest, _join: number, now: number): void {
    this.kvReserved -= req.input + req.output
    this.e2e.observe(now - req.arrival)
    this.succeeded++
    this.hooks.finish(this, req, now, true)
  }

  private insertSeq(seq: Seq): void {
    const list = this.decoding
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((list[mid] as Seq).finish <= seq.finish) lo = mid + 1
      else hi = mid
    }
    list.splice(lo, 0, seq)
  }

  private admit(now: number): void {
    const capacity = this.profile.kvCapacityTokens
    while (this.waitHead < this.waiting.length) {
      const req = this.waiting[this.waitHead] as TwinRequest
      if (req.input + req.output > capacity) {
        // Longer than the whole KV cache: vLLM rejects it (context over what the engine can hold).
        this.waitHead++
        this.hooks.finish(this, req, now, false)
        continue
      }
      if (!this.canAdmit(req)) break
      this.waitHead++
      this.kvReserved += req.input + req.output
      this.prefilling.push(req)
    }
    if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitHead)
      this.waitHead = 0
    }
  }

  private startNext(now: number): void {
    this.admit(now)
    const k = this.profile.coefficients
    const batch = this.decoding.length
    const kv = this.kvTokens()
    if (this.prefilling.length > 0) {
      let budget = Math.max(1, this.profile.maxBatchedTokens - batch)
      const chunk: PrefillRun['chunk'] = []
      let x = 0
      for (const req of this.prefilling) {
        if (budget <= 0) break
        const tokens = Math.min(req.prefillLeft, budget)
        chunk.push({req, tokens})
        budget -= tokens
        x += tokens
      }
      const activity = stepActivity(this.profile, x, batch, kv)
      const duration = activity.step
      this.run = {
        kind: 'prefill',
        t0: now,
        end: now + duration,
        duration,
        batch,
        chunk,
        smRatio: activity.sm / activity.step,
        dramRatio: activity.dram / activity.step,
      }
    } else if (batch > 0) {
      let m = (this.decoding[0] as Seq).finish - this.step
      let p = k.a + k.c * batch + k.d * kv
      let q = k.d * batch
      const roof = k.e * batch
      if (roof > p) {
        // Compute-bound (latency-model.ts's step rule): every step lasts the roof until the growing KV read makes
        // the fitted step longer; the run stops there and the next one is linear again.
        if (q > 0) m = Math.min(m, Math.ceil((roof - p) / q))
        p = roof
        q = 0
      }
      const end = now + elapsed(p, q, m)
      const activity = stepActivity(this.profile, 0, batch, kv + (batch * m) / 2)
      this.run = {
        kind: 'decode',
        t0: now,
        end,
        s0: this.step,
        batch,
        p,
        q,
        target: this.step + m,
        smRatio: activity.sm / activity.step,
        dramRatio: activity.dram / activity.step,
      }
    } else {
      return
    }
    this.acctT = now
    this.version++
    this.hooks.wake(this, this.run.end, this.version)
  }
}

/** Time n decode steps take when step k lasts p + q·k. */
export function elapsed(p: number, q: number, n: number): number {
  return n * p + (q * n * (n - 1)) / 2
}

/** Whole steps completed within `dt` (largest n with elapsed(n) ≤ dt). */
export function stepsWithin(p: number, q: number, dt: number): number {
  if (dt <= 0) return 0
  let n = q > 1e-15 ? Math.floor((q / 2 - p + Math.sqrt((p - q / 2) ** 2 + 2 * q * dt)) / q) : Math.floor(dt / p)
  if (n < 0) n = 0
  while (elapsed(p, q, n + 1) <= dt) n++
  while (n > 0 && elapsed(p, q, n) > dt) n--
  return n
}
