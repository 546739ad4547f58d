/**
 * The plan's input fingerprint: sha256 of what the plan was computed from. From files, the bytes as read (config
 * text, a newline, snapshot text): cheap on an 18 MB snapshot and checkable with `sha256sum`. From values built
 * in memory (the simulator, tests), their canonical JSON: keys sorted, so equal values give equal fingerprints.
 */
import {createHash} from 'node:crypto'

import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot} from '../model/snapshot.js'

export function fingerprintTexts(configText: string, snapshotText: string): string {
  return `sha256:${createHash('sha256').update(configText).update('\n').update(snapshotText).digest('hex')}`
}

/** sha256 of the canonical (key-sorted) JSON of both inputs: equal inputs, equal fingerprint. */
export function fingerprintValues(config: PolicyConfig, snapshot: ClusterSnapshot): string {
  const hash = createHash('sha256')
  const sink = new CanonicalSink(hash)
  sink.write(config)
  sink.raw('\n')
  sink.write(snapshot)
  sink.flush()
  return `sha256:${hash.digest('hex')}`
}

const PLAIN_KEY = /^[A-Za-z0-9_.:/-]*$/

/**
 * Key-sorted JSON (what `JSON.stringify` gives with sorted keys, undefined members dropped) streamed into the
 * hash in 1 MB chunks. A sorting replacer rebuilt every object and the whole text before hashing, which
 * dominated planning time on large snapshots (hundreds of thousands of telemetry samples).
 */
class CanonicalSink {
  private buffer = ''

  constructor(private readonly hash: ReturnType<typeof createHash>) {}

  raw(text: string): void {
    this.buffer += text
    if (this.buffer.length > 1 << 20) this.flush()
  }

  flush(): void {
    if (this.buffer.length > 0) this.hash.update(this.buffer)
    this.buffer = ''
  }

  write(value: unknown): void {
    if (value === null || typeof value !== 'object') {
      this.raw(JSON.stringify(value) ?? 'null')
      return
    }
    if (Array.isArray(value)) {
      // Telemetry samples (arrays of [time, value] number pairs) are most of a snapshot and have no keys to sort.
      if (isFlat(value)) {
        this.raw(JSON.stringify(value))
        return
      }
      this.raw('[')
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.raw(',')
        const item: unknown = value[i]
        if (item === undefined || typeof item === 'function') this.raw('null')
        else this.write(item)
      }
      this.raw(']')
      return
    }
    const record = value as Record<string, unknown>
    const keys = Object.keys(record).sort()
    let first = true
    this.raw('{')
    for (const key of keys) {
      const member = record[key]
      if (member === undefined || typeof member === 'function') continue
      this.raw(`${first ? '' : ','}${PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key)}:`)
      first = false
      this.write(member)
    }
    this.raw('}')
  }
}

function isFlat(items: readonly unknown[]): boolean {
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue
    if (!Array.isArray(item)) return false
    for (const inner of item) if (inner !== null && typeof inner === 'object') return false
  }
  return true
}
