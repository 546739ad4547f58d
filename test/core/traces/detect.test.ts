import {describe, expect, test} from 'vitest'

import {
  detectTraceFormat,
  parseTimestampSeconds,
  splitCsvLine,
  TimestampColumn,
} from '../../../src/core/traces/index.js'

describe('layout detection from the first line', () => {
  test.each([
    {line: 'timestamp,model,input_tokens,output_tokens', format: 'requests-csv', reason: 'our per-request header'},
    {
      line: 'timestamp,input_tokens,output_tokens',
      format: 'requests-csv',
      reason: 'the model column is optional (assigned with `model`)',
    },
    {
      line: 'Output_Tokens, Input_Tokens ,TIMESTAMP',
      format: 'requests-csv',
      reason: 'columns match case-insensitively, trimmed, in any order',
    },
    {line: 'TIMESTAMP,ContextTokens,GeneratedTokens', format: 'azure-llm', reason: "Azure LLM 2023's header"},
    {
      line: '\uFEFFTIMESTAMP,ContextTokens,GeneratedTokens',
      format: 'azure-llm',
      reason: 'a UTF-8 byte-order mark is not part of the first column name',
    },
    {
      line: '{"timestamp": 0, "input_length": 6758, "output_length": 500, "hash_ids": [0, 1]}',
      format: 'mooncake-jsonl',
      reason: "Mooncake's JSON lines have no header: the first row says it",
    },
    {line: 'time,model,requests_per_second', format: 'rate-csv', reason: 'rate series header'},
    {line: 'time,requests_per_second', format: 'rate-csv', reason: 'a rate series for one model'},
    {
      line: 'timestamp_anon,value,container_ip,request_type',
      format: 'alibaba-qps',
      reason: "Alibaba GenTD26 qps.csv's header",
    },
    {line: '', format: undefined, reason: 'an empty trace has no layout'},
    {line: '1.5,llama,10,20', format: undefined, reason: 'a data row is not a header: CSV layouts need one'},
    {
      line: '{"ts": 0, "input_length": 1, "output_length": 2}',
      format: undefined,
      reason: 'a JSON line without timestamp is not Mooncake',
    },
    {line: '{"timestamp": 0,', format: undefined, reason: 'broken JSON'},
    {line: 'timestamp,model,prompt_tokens', format: undefined, reason: 'a near miss names what each layout needs'},
  ])('$line → $format ($reason)', ({line, format}) => {
    const detection = detectTraceFormat(line)
    expect(detection.format).toBe(format)
    expect(detection.reason.length).toBeGreaterThan(0)
  })

  test('an unknown header lists every layout it could have been', () => {
    expect(detectTraceFormat('a,b,c').reason).toMatch(/timestamp,input_tokens,output_tokens .*time,requests_per_second/)
  })
})

describe('timestamps', () => {
  test.each([
    {text: '12.5', seconds: 12.5, reason: 'plain seconds'},
    {text: '1662859176.0', seconds: 1662859176, reason: "Alibaba's Unix seconds"},
    {text: '1e3', seconds: 1000, reason: 'exponent notation is a number'},
    {text: '2023-11-16T18:17:03Z', seconds: 1700158623, reason: 'ISO-8601 UTC'},
    {
      text: '2023-11-16 18:17:03.9799600',
      seconds: 1700158623.97996,
      reason: "Azure's layout: space separator, 7 fractional digits, no zone read as UTC",
    },
    {text: '2023-11-16T19:17:03+01:00', seconds: 1700158623, reason: 'an offset is subtracted'},
    {text: '2023-11-16T13:47:03-0430', seconds: 1700158623, reason: 'an offset without colon'},
    {text: '2023-11-16T18:17', seconds: 1700158620, reason: 'seconds may be left out'},
    {text: '', seconds: undefined, reason: 'empty is not zero'},
    {text: 'yesterday', seconds: undefined, reason: 'neither a number nor ISO'},
    {text: '2023-13-01T00:00:00Z', seconds: undefined, reason: 'month 13 does not exist'},
    {text: 'NaN', seconds: undefined, reason: 'not finite'},
    {text: '2023-11-16 18:17:03', seconds: 1700158623, reason: 'no fraction'},
    {text: '2023-11-16 24:00:00', seconds: undefined, reason: 'hour 24 does not exist'},
    {text: '2023-11-16 18:17:03.', seconds: undefined, reason: 'a dot needs digits after it'},
    {text: '2023-11-16 18:1x:03', seconds: undefined, reason: 'not digits'},
  ])('"$text" → $seconds ($reason)', ({text, seconds}) => {
    // The column parser (a one-day cache, digit by digit) must agree with the general one, warm or cold.
    const column = new TimestampColumn()
    column.parse('2023-11-16 00:00:00')
    for (const parsed of [parseTimestampSeconds(text), new TimestampColumn().parse(text), column.parse(text)]) {
      if (seconds === undefined) expect(parsed).toBeUndefined()
      else expect(parsed).toBeCloseTo(seconds, 6)
    }
  })
})

describe('CSV fields', () => {
  test.each([
    {line: 'a,b,c', fields: ['a', 'b', 'c'], reason: 'the fast path'},
    {line: '"a,b",c', fields: ['a,b', 'c'], reason: 'a quoted comma stays in its field'},
    {line: '"say ""hi""",2', fields: ['say "hi"', '2'], reason: 'doubled quotes are one quote'},
    {line: 'a,,', fields: ['a', '', ''], reason: 'empty fields are kept'},
    {line: '"open,1', fields: undefined, reason: 'an unclosed quote is an error, not a silent merge'},
  ])('$line ($reason)', ({line, fields}) => {
    expect(splitCsvLine(line)).toEqual(fields)
  })
})
