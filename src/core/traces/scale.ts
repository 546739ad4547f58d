/**
 * Rate scaling of a per-request trace. The timeline is kept (a burst stays a burst of the same length, so cold
 * starts of a fixed duration meet the same traffic shape); instead each request becomes `scale` requests on
 * average. A fractional accumulator decides how many copies each request gets (deterministic: 2.5 gives 2, 3, 2,
 * 3, ...; 0.25 keeps every fourth), and copies are spread evenly over the gap to the next request, at most 1 s,
 * so an 8× trace has no artificial 8-request instants, yet no copy moves load by more than a second.
 */
import type {TraceRequest} from './types.js'

/** How far copies of one request may spread (seconds): below the 1 s granularity any replay or bucket uses. */
export const COPY_SPREAD_SECONDS = 1

export class RequestScaler {
  private pending: TraceRequest | undefined
  private acc = 0

  constructor(
    private readonly scale: number,
    private readonly emit: (request: TraceRequest) => void,
  ) {
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new RangeError(`rate scale must be a positive number, got ${scale}`)
  }

  push(request: TraceRequest): void {
    if (this.scale === 1) {
      this.emit(request)
      return
    }
    if (this.pending) this.release(this.pending, Math.min(request.t - this.pending.t, COPY_SPREAD_SECONDS))
    this.pending = request
  }

  /** Emits what is held back (the last request waits for its successor to know its gap). */
  end(): void {
    if (this.pending) this.release(this.pending, 0)
    this.pending = undefined
  }

  private release(r: TraceRequest, spread: number): void {
    this.acc += this.scale
    // The epsilon absorbs float error so that, for example, ten times 0.1 makes exactly one copy.
    const copies = Math.floor(this.acc + 1e-9)
    this.acc -= copies
    for (let j = 0; j < copies; j++) this.emit(j === 0 ? r : {...r, t: r.t + (spread * j) / copies})
  }
}

/**
 * The rate scale that makes a trace's peak need `peakReplicas` replicas at SLO capacity (issue 12: "scale so
 * the peak needs N replicas"). `peakDemand` and `capacityPerReplica` share a unit (requests/s or tokens/s).
 */
export function rateScaleForPeak(peakDemand: number, capacityPerReplica: number, peakReplicas: number): number {
  if (!(peakDemand > 0)) throw new RangeError('the trace has no demand to scale (its peak is 0)')
  if (!(capacityPerReplica > 0))
    throw new RangeError(`capacity per replica must be positive, got ${capacityPerReplica}`)
  if (!(peakReplicas > 0)) throw new RangeError(`peak replicas must be positive, got ${peakReplicas}`)
  return (peakReplicas * capacityPerReplica) / peakDemand
}
