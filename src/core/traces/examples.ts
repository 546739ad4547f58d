/**
 * The example traces shipped in examples/traces/: one file per supported layout, each a few hundred rows made
 * by our generator (the project ships no data it did not make). `npm run examples:traces` writes them;
 * test/core/traces/examples.test.ts fails when the committed files differ from what this produces.
 * Model names match examples/seed-production.yaml.
 */
import {
  formatTraceLines,
  type LayoutWriteOptions,
  type SyntheticTraceSpec,
  generateSyntheticRequests,
} from './synthetic.js'
import type {TraceFormat} from './types.js'

export interface ExampleTrace {
  file: string
  format: TraceFormat
  description: string
  spec: SyntheticTraceSpec
  write?: LayoutWriteOptions
}

export const EXAMPLE_TRACES: ExampleTrace[] = [
  {
    file: 'bursty-requests.csv',
    format: 'requests-csv',
    description: '15 minutes of bursty traffic to two models, one row per request',
    spec: {
      seed: 1201,
      pattern: 'bursty',
      durationSeconds: 900,
      models: [
        {name: 'llama-8b', meanRps: 0.25},
        {name: 'llama-70b', meanRps: 0.1},
      ],
      burst: {meanBurstSeconds: 90, meanGapSeconds: 240},
    },
  },
  {
    file: 'poisson-azure.csv',
    format: 'azure-llm',
    description: '10 minutes of Poisson traffic in the Azure LLM inference trace layout (no model column)',
    spec: {seed: 1202, pattern: 'poisson', durationSeconds: 600, models: [{name: 'llama-8b', meanRps: 0.5}]},
  },
  {
    file: 'bursty-mooncake.jsonl',
    format: 'mooncake-jsonl',
    description: '10 minutes of bursty long-prompt traffic in the Mooncake JSON-lines layout',
    spec: {
      seed: 1203,
      pattern: 'bursty',
      durationSeconds: 600,
      models: [{name: 'llama-8b', meanRps: 0.5}],
      burst: {meanBurstSeconds: 60, meanGapSeconds: 180},
      // Long prompts like Mooncake's conversation trace (mean input 12k tokens, output 343: data README §1.2).
      tokens: {
        input: {kind: 'lognormal', median: 8000, sigma: 0.8, max: 128_000},
        output: {kind: 'lognormal', median: 250, sigma: 0.8, max: 4096},
      },
    },
  },
  {
    file: 'diurnal-rates.csv',
    format: 'rate-csv',
    description: 'one day of diurnal traffic for two models as requests per second every 10 minutes',
    spec: {
      seed: 1204,
      pattern: 'diurnal',
      durationSeconds: 86_400,
      models: [
        {name: 'llama-8b', meanRps: 2},
        {name: 'llama-70b', meanRps: 0.5},
      ],
    },
    write: {bucketSeconds: 600},
  },
  {
    file: 'diurnal-qps.csv',
    format: 'alibaba-qps',
    description: 'three hours of diurnal traffic in the Alibaba GenTD26 qps.csv layout (per container, ~57 s samples)',
    spec: {
      seed: 1205,
      pattern: 'diurnal',
      durationSeconds: 3 * 3600,
      models: [
        {name: 'Generative Requests', meanRps: 0.5},
        {name: 'API Requests', meanRps: 0.02},
      ],
      diurnal: {periodSeconds: 3 * 3600, amplitude: 0.8},
    },
    write: {containers: 2, seed: 1205},
  },
]

/** The lines of one example file (header included), ready to be joined with newlines. */
export function exampleTraceLines(example: ExampleTrace): string[] {
  return [...formatTraceLines(example.format, generateSyntheticRequests(example.spec), example.write)]
}
