/**
 * Twin.appendTrace: a trace fed in chunks as the replay runs (the streaming `simulate --trace`) is the same run as
 * the whole trace given at construction, whenever each chunk arrives before the twin reaches the end of what it
 * holds; and a caller that lags behind still has its requests served, late.
 */
import {describe, expect, test} from 'vitest'

import type {TraceRequest} from '../../../src/core/twin/load.js'
import {createPrng} from '../../../src/core/mig/prng.js'
import {singleModelTwin, START} from './helpers.js'

/** 600 requests over 10 minutes with runs of equal times (a trace's one-second resolution), Poisson-ish sizes. */
function trace(): TraceRequest[] {
  const prng = createPrng(3)
  const out: TraceRequest[] = []
  let t = 1
  while (out.length < 600) {
    const same = 1 + Math.floor(prng.next() * 4)
    for (let k = 0; k < same; k++)
      out.push({
        t,
        model: 'llama',
        inputTokens: 50 + Math.floor(prng.next() * 2000),
        outputTokens: 1 + Math.floor(prng.next() * 300),
      })
    t += Math.round(prng.next() * 3)
  }
  return out
}

const END = START + 900

function wholeRun(requests: TraceRequest[]): string {
  const twin = singleModelTwin({spec: {replicas: 2}, twin: {initialNodes: {pool: 2}, trace: requests}})
  twin.runUntil(END)
  return twin.eventLogJsonLines()
}

/**
 * Feeds `chunk` requests at a time with the lookahead the streaming replay keeps: before running to T, the twin
 * holds every request at or before T plus the next one.
 */
function chunkedRun(requests: TraceRequest[], chunk: number): string {
  let next = 0
  const take = (): {requests: TraceRequest[]; until: number} => {
    const out: TraceRequest[] = []
    let until = Infinity
    while (next < requests.length) {
      const r = requests[next++] as TraceRequest
      out.push(r)
      if (until === Infinity) {
        if (out.length >= chunk) until = START + r.t
      } else if (START + r.t > until) break
    }
    return {requests: out, until: next < requests.length || out.length > 0 ? until : Infinity}
  }
  let c = take()
  const twin = singleModelTwin({spec: {replicas: 2}, twin: {initialNodes: {pool: 2}, trace: c.requests}})
  for (;;) {
    twin.runUntil(Math.min(c.until, END))
    if (c.until >= END) break
    c = take()
    twin.appendTrace(c.requests)
  }
  return twin.eventLogJsonLines()
}

describe('appendTrace', () => {
  const requests = trace()
  const whole = wholeRun(requests)

  test.each([
    {chunk: 1, why: 'every request its own chunk: only the lookahead keeps the next trace event queued'},
    {chunk: 7, why: 'chunk ends inside runs of equal times: the rest of the run comes with the chunk'},
    {chunk: 256, why: 'a few large chunks, as the streaming replay uses'},
  ])('chunks of $chunk give the same event log as the whole trace ($why)', ({chunk}) => {
    expect(chunkedRun(requests, chunk)).toBe(whole)
  })

  test('requests appended after the twin caught up are still served, at the time they are appended', () => {
    const twin = singleModelTwin({spec: {replicas: 1}, twin: {initialNodes: {pool: 1}, trace: [requests[0]!]}})
    twin.runUntil(START + 100)
    // The next request was due at 2 s; the twin is at 100 s with nothing queued, so it arrives now.
    twin.appendTrace([
      {...requests[1]!, t: 2},
      {...requests[2]!, t: 150},
    ])
    twin.runUntil(START + 600)
    const arrivals = [...twin.logEntries()].flatMap((e) => (e.type === 'request' ? [e.arrival - START] : []))
    expect(arrivals).toEqual([1, 100, 150])
  })

  test.each([
    {why: 'a chunk out of order', chunk: [{t: 5}, {t: 4}], message: /time order/},
    {why: 'a chunk earlier than the last request given', chunk: [{t: 0.5}], message: /time order \(0\.5 after 1\)/},
  ])('refuses $why', ({chunk, message}) => {
    const twin = singleModelTwin({twin: {trace: [{t: 1, model: 'llama', inputTokens: 1, outputTokens: 1}]}})
    expect(() => twin.appendTrace(chunk.map((c) => ({...c, model: 'llama', inputTokens: 1, outputTokens: 1})))).toThrow(
      message,
    )
  })
})
