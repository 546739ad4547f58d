/**
 * The twin's event queue: a binary min-heap keyed by (time, insertion sequence). Two events at the same instant
 * run in the order they were scheduled, so a run is a pure function of its inputs and seed — never of heap
 * internals. Cancelling is lazy: the owner bumps a version and ignores stale events when they pop, which keeps
 * every operation O(log n) without a decrease-key.
 */

export interface Scheduled<T> {
  time: number
  seq: number
  event: T
}

export class EventQueue<T> {
  private heap: Array<Scheduled<T>> = []
  private nextSeq = 0

  get size(): number {
    return this.heap.length
  }

  push(time: number, event: T): void {
    if (!Number.isFinite(time)) throw new Error(`event time must be finite, got ${time}`)
    const item = {time, seq: this.nextSeq++, event}
    const heap = this.heap
    heap.push(item)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as Scheduled<T>
      if (p.time < time || (p.time === time && p.seq < item.seq)) break
      heap[i] = p
      i = parent
    }
    heap[i] = item
  }

  /** The earliest event's time, or Infinity when empty. */
  peekTime(): number {
    return this.heap.length > 0 ? (this.heap[0] as Scheduled<T>).time : Infinity
  }

  pop(): Scheduled<T> | undefined {
    const heap = this.heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop() as Scheduled<T>
    if (heap.length > 0) {
      let i = 0
      const n = heap.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let c = l
        const lc = heap[l] as Scheduled<T>
        if (r < n) {
          const rc = heap[r] as Scheduled<T>
          if (rc.time < lc.time || (rc.time === lc.time && rc.seq < lc.seq)) c = r
        }
        const child = heap[c] as Scheduled<T>
        if (last.time < child.time || (last.time === child.time && last.seq < child.seq)) break
        heap[i] = child
        i = c
      }
      heap[i] = last
    }
    return top
  }
}
