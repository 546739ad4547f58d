import {describe, expect, test} from 'vitest'

import {
  formatTraceLines,
  generateSyntheticRequests,
  readTraceText,
  type TraceFormat,
  TraceRowError,
  type TraceRequest,
} from '../../../src/core/traces/index.js'

const lines = (...rows: string[]): string => rows.join('\n')

describe('each layout parses', () => {
  test.each([
    {
      name: 'requests-csv, seconds',
      text: lines('timestamp,model,input_tokens,output_tokens', '10,llama,100,20', '10.5,mistral,200,30', ''),
      requests: [
        {t: 0, model: 'llama', inputTokens: 100, outputTokens: 20},
        {t: 0.5, model: 'mistral', inputTokens: 200, outputTokens: 30},
      ],
    },
    {
      name: 'requests-csv, ISO-8601 and CRLF line ends',
      text: lines(
        'timestamp,model,input_tokens,output_tokens\r',
        '2024-01-01T00:00:00Z,llama,1,2\r',
        '2024-01-01T00:01:00.250Z,llama,3,4\r',
      ),
      requests: [
        {t: 0, model: 'llama', inputTokens: 1, outputTokens: 2},
        {t: 60.25, model: 'llama', inputTokens: 3, outputTokens: 4},
      ],
    },
    {
      name: 'azure-llm (no model column: `default`)',
      text: lines(
        'TIMESTAMP,ContextTokens,GeneratedTokens',
        '2023-11-16 18:17:03.9799600,4808,10',
        '2023-11-16 18:17:04.0319600,3180,8',
      ),
      requests: [
        {t: 0, model: 'default', inputTokens: 4808, outputTokens: 10},
        {t: 0.052, model: 'default', inputTokens: 3180, outputTokens: 8},
      ],
    },
    {
      name: 'mooncake-jsonl (ms → s)',
      text: lines(
        '{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1]}',
        '{"timestamp": 1500, "input_length": 10, "output_length": 3, "hash_ids": []}',
      ),
      requests: [
        {t: 0, model: 'default', inputTokens: 6758, outputTokens: 500},
        {t: 1.5, model: 'default', inputTokens: 10, outputTokens: 3},
      ],
    },
  ])('$name', ({text, requests}) => {
    const out = readTraceText(text)
    expect(out.requests.map((r) => ({...r, t: Number(r.t.toFixed(6))}))).toEqual(requests)
    expect(out.stats.badRows).toBe(0)
  })

  test.each([
    {
      name: 'rate-csv',
      text: lines('time,model,requests_per_second', '0,llama,2', '0,mistral,1', '60,llama,3'),
      rates: [
        {t: 0, model: 'llama', rps: 2},
        {t: 0, model: 'mistral', rps: 1},
        {t: 60, model: 'llama', rps: 3},
      ],
    },
    {
      name: 'alibaba-qps (request_type is the model; the container column is not needed)',
      text: lines(
        'timestamp_anon,value,container_ip,request_type',
        '1662859176.0,0.09,,API Requests',
        '1662859233.0,0.18,dfe0,Generative Requests',
      ),
      rates: [
        {t: 0, model: 'API Requests', rps: 0.09},
        {t: 57, model: 'Generative Requests', rps: 0.18},
      ],
    },
  ])('$name', ({text, rates}) => {
    expect(readTraceText(text).rates).toEqual(rates)
  })
})

describe('every layout our generator writes reads back', () => {
  const spec = {seed: 11, pattern: 'bursty' as const, durationSeconds: 600, models: [{name: 'llama', meanRps: 2}]}
  const requests = [...generateSyntheticRequests(spec)]

  test.each<{format: TraceFormat; exact: boolean; reason: string}>([
    {format: 'requests-csv', exact: true, reason: 'times written to the millisecond'},
    {format: 'azure-llm', exact: true, reason: 'times to 100 ns, no model column'},
    {format: 'mooncake-jsonl', exact: true, reason: 'times to the millisecond'},
    {format: 'rate-csv', exact: false, reason: 'per-minute rates: the count survives, the arrival times do not'},
    {format: 'alibaba-qps', exact: false, reason: 'per-57 s rates split over made-up containers'},
  ])('$format ($reason)', ({format, exact}) => {
    const text = [...formatTraceLines(format, requests)].join('\n')
    const out = readTraceText(text, {model: 'llama'})
    expect(out.stats.format).toBe(format)
    if (exact) {
      expect(out.requests).toHaveLength(requests.length)
      // Rebased to the first request, so compare gaps.
      out.requests.forEach((r, i) => {
        expect(r.t).toBeCloseTo(requests[i]!.t - requests[0]!.t, 2)
        expect([r.inputTokens, r.outputTokens]).toEqual([requests[i]!.inputTokens, requests[i]!.outputTokens])
      })
    } else {
      const bucket = format === 'alibaba-qps' ? 57 : 60
      const total = out.rates.reduce((s, r) => s + r.rps * bucket, 0)
      expect(total).toBeCloseTo(requests.length, 3)
    }
  })
})

describe('malformed rows fail with file, line and field', () => {
  test.each([
    {
      name: 'a word for tokens',
      text: lines('timestamp,model,input_tokens,output_tokens', '1,m,10,20', '2,m,ten,20'),
      line: 3,
      field: 'input_tokens',
    },
    {
      name: 'an empty token field is not zero',
      text: lines('timestamp,model,input_tokens,output_tokens', '1,m,10,'),
      line: 2,
      field: 'output_tokens',
    },
    {
      name: 'fractional tokens',
      text: lines('timestamp,model,input_tokens,output_tokens', '1,m,10.5,2'),
      line: 2,
      field: 'input_tokens',
    },
    {
      name: 'a missing column',
      text: lines('timestamp,model,input_tokens,output_tokens', '1,m,10'),
      line: 2,
      field: 'columns',
    },
    {
      name: 'a bad timestamp',
      text: lines('TIMESTAMP,ContextTokens,GeneratedTokens', '2023-11-16 18:17:03.9,1,1', 'soon,1,1'),
      line: 3,
      field: 'TIMESTAMP',
    },
    {
      name: 'a negative rate',
      text: lines('time,model,requests_per_second', '0,m,-1'),
      line: 2,
      field: 'requests_per_second',
    },
    {
      name: 'broken JSON, counted after a blank line',
      text: lines('{"timestamp": 0, "input_length": 1, "output_length": 1}', '', '{"timestamp": 5,'),
      line: 3,
      field: 'json',
    },
    {
      name: 'a JSON string for a number',
      text: lines('{"timestamp": 0, "input_length": "1", "output_length": 1}'),
      line: 1,
      field: 'input_length',
    },
    {
      name: 'time going back',
      text: lines('timestamp,model,input_tokens,output_tokens', '5,m,1,1', '4,m,1,1'),
      line: 3,
      field: 'timestamp',
    },
    {
      name: 'a header without a needed column (explicit layout)',
      text: lines('timestamp,model,input_tokens'),
      line: 1,
      field: 'header',
      format: 'requests-csv' as const,
    },
  ])('$name → line $line, field $field', ({text, line, field, format}) => {
    let error: unknown
    try {
      readTraceText(text, {file: 'trace.csv', traceFormat: format})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(TraceRowError)
    const e = error as TraceRowError
    expect([e.file, e.line, e.field]).toEqual(['trace.csv', line, field])
    expect(e.message.startsWith(`trace.csv:${line}: ${field}: `)).toBe(true)
    expect(e.location).toEqual({file: 'trace.csv', line, path: field})
  })

  test('skipBadRows skips them, counts them, and keeps the first few messages', () => {
    const rows = ['timestamp,model,input_tokens,output_tokens']
    for (let i = 0; i < 20; i++) rows.push(i % 3 === 0 ? `${i},m,x,1` : `${i},m,1,1`)
    const out = readTraceText(rows.join('\n'), {file: 'f.csv', skipBadRows: true})
    expect(out.stats.badRows).toBe(7) // rows 0, 3, ..., 18
    expect(out.requests).toHaveLength(13)
    expect(out.stats.badRowExamples).toHaveLength(5)
    expect(out.stats.badRowExamples[0]).toBe('f.csv:2: input_tokens: expected a non-negative integer, got "x"')
  })

  test('an unknown layout names the line and asks for traceFormat', () => {
    expect(() => readTraceText('\n\nfoo,bar\n1,2', {file: 'x.csv'})).toThrow(/x\.csv:3: cannot tell the trace layout/)
  })
})

describe('out-of-order rows', () => {
  const csv = (...times: number[]): string =>
    lines('timestamp,model,input_tokens,output_tokens', ...times.map((t, i) => `${t},m,${i + 1},1`))

  test.each([
    {name: 'equal times are in order', times: [1, 1, 2], window: 0, order: [1, 2, 3], reordered: 0},
    {
      name: 'within the window: sorted into place, stable',
      times: [0, 10, 8, 10, 9, 30],
      window: 5,
      order: [1, 3, 5, 2, 4, 6],
      reordered: 2,
    },
    {name: 'exactly at the window edge is accepted', times: [10, 5], window: 5, order: [2, 1], reordered: 1},
  ])('$name', ({times, window, order, reordered}) => {
    const out = readTraceText(csv(...times), {reorderWindowSeconds: window})
    expect(out.requests.map((r) => r.inputTokens)).toEqual(order)
    expect(out.stats.reordered).toBe(reordered)
  })

  test('beyond the window: an error that says how far back and what the window is', () => {
    expect(() => readTraceText(csv(0, 10, 4), {file: 't.csv', reorderWindowSeconds: 5})).toThrow(
      't.csv:4: timestamp: 6 s earlier than line 3; rows may go back in time by at most 5 s (reorderWindowSeconds)',
    )
  })

  test('beyond the window with skipBadRows: skipped and counted', () => {
    const out = readTraceText(csv(0, 10, 4, 11), {reorderWindowSeconds: 5, skipBadRows: true})
    expect(out.requests.map((r) => r.inputTokens)).toEqual([1, 2, 4])
    expect(out.stats.badRows).toBe(1)
  })
})

describe('models, time and rate options', () => {
  const text = lines('timestamp,model,input_tokens,output_tokens', '100,a,1,1', '110,b,2,1', '130,a,3,1', '190,c,4,1')
  const pick = (requests: TraceRequest[]): Array<[number, string, number]> =>
    requests.map((r) => [Number(r.t.toFixed(6)), r.model, r.inputTokens])

  test.each([
    {
      name: 'defaults: rebased to the first row, models as written',
      options: {},
      expected: [
        [0, 'a', 1],
        [10, 'b', 2],
        [30, 'a', 3],
        [90, 'c', 4],
      ],
    },
    {
      name: '`model` assigns every row to one model',
      options: {model: 'llama'},
      expected: [
        [0, 'llama', 1],
        [10, 'llama', 2],
        [30, 'llama', 3],
        [90, 'llama', 4],
      ],
    },
    {
      name: '`modelMap` renames; unmapped keys keep their name',
      options: {modelMap: {a: 'llama', b: 'mistral'}},
      expected: [
        [0, 'llama', 1],
        [10, 'mistral', 2],
        [30, 'llama', 3],
        [90, 'c', 4],
      ],
    },
    {
      name: 'time shift',
      options: {timeShiftSeconds: 5},
      expected: [
        [5, 'a', 1],
        [15, 'b', 2],
        [35, 'a', 3],
        [95, 'c', 4],
      ],
    },
    {
      name: 'window [10, 90) keeps b and the second a, rebased to 10',
      options: {window: {startSeconds: 10, endSeconds: 90}},
      expected: [
        [0, 'b', 2],
        [20, 'a', 3],
      ],
    },
    {
      name: 'window then shift',
      options: {window: {startSeconds: 30}, timeShiftSeconds: 100},
      expected: [
        [100, 'a', 3],
        [160, 'c', 4],
      ],
    },
    {
      name: 'source clock kept',
      options: {timeOrigin: 'source' as const, window: {endSeconds: 111}},
      expected: [
        [100, 'a', 1],
        [110, 'b', 2],
      ],
    },
    {
      name: 'rate × 0.5 keeps every second request (deterministic)',
      options: {rateScale: 0.5},
      expected: [
        [10, 'b', 2],
        [90, 'c', 4],
      ],
    },
    {
      name: 'rate × 2 doubles each request, the copy half-way to the next within 1 s',
      options: {rateScale: 2},
      expected: [
        [0, 'a', 1],
        [0.5, 'a', 1],
        [10, 'b', 2],
        [10.5, 'b', 2],
        [30, 'a', 3],
        [30.5, 'a', 3],
        [90, 'c', 4],
        [90, 'c', 4],
      ],
    },
  ])('$name', ({options, expected}) => {
    expect(pick(readTraceText(text, options).requests)).toEqual(expected)
  })

  test('rate × 2.5 keeps the rate exactly over many requests', () => {
    const rows = ['timestamp,input_tokens,output_tokens', ...Array.from({length: 1000}, (_, i) => `${i * 0.1},1,1`)]
    expect(readTraceText(rows.join('\n'), {rateScale: 2.5}).requests).toHaveLength(2500)
  })

  test('rate layouts multiply the rate', () => {
    const out = readTraceText(lines('time,requests_per_second', '0,2', '60,4'), {rateScale: 1.5, model: 'm'})
    expect(out.rates).toEqual([
      {t: 0, model: 'm', rps: 3},
      {t: 60, model: 'm', rps: 6},
    ])
  })

  test.each([
    {options: {rateScale: 0}, message: /rateScale must be a positive number/},
    {options: {reorderWindowSeconds: -1}, message: /reorderWindowSeconds must be ≥ 0/},
  ])('rejects $options', ({options, message}) => {
    expect(() => readTraceText(text, options)).toThrow(message)
  })
})
