/**
 * The JSON Schema of a twin scenario file (`kind: Scenario`, examples/scenarios/*.yaml): the cluster (a complete
 * ScalingPolicy, inline, plus what the twin needs that a policy does not say — nodes up at the start, spot and
 * capacity behaviour, PDBs), how each model serves, and the load. Written to schemas/scenario.schema.json by
 * scripts/write-schemas.ts; ./scenario.ts validates with it, so editors and the parser agree.
 */
import {CONFIG_SCHEMA, DURATION_PATTERN, NAME_PATTERN} from '../config/schema.js'
import {object, type Schema} from '../input/json-schema.js'

export const SCENARIO_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const SCENARIO_KIND = 'Scenario'

// The policy is embedded whole, so a scenario's cluster is validated exactly as gpu-scale.yaml is.
const {$schema: _schema, $id: _id, ...POLICY_SCHEMA} = CONFIG_SCHEMA

function duration(description: string, defaultValue?: string): Schema {
  return {
    type: ['string', 'number'],
    pattern: DURATION_PATTERN,
    minimum: 0,
    description: `${description} A duration: 30s, 3m, 1h, or a number of seconds.`,
    ...(defaultValue === undefined ? {} : {default: defaultValue}),
  }
}

const rate = (description: string): Schema => ({
  type: 'number',
  minimum: 0,
  description: `${description} Requests per second.`,
})
const name = (description: string): Schema => ({type: 'string', pattern: NAME_PATTERN, maxLength: 253, description})

const tokens = (what: string): Schema =>
  object(
    `${what} length in tokens. Default: the Azure LLM inference 2023 conversation trace's mean (1,155 in / 211 out), lognormal with cv 1.`,
    {
      mean: {type: 'number', exclusiveMinimum: 0, description: 'Mean tokens.'},
      distribution: {
        type: 'string',
        enum: ['fixed', 'exponential', 'lognormal'],
        default: 'lognormal',
        description: 'Shape around the mean.',
      },
      cv: {type: 'number', minimum: 0, default: 1, description: 'Coefficient of variation (lognormal).'},
      min: {type: 'integer', minimum: 1, description: 'Smallest length.'},
      max: {type: 'integer', minimum: 1, description: 'Largest length.'},
    },
    ['mean'],
  )

const arrivals: Schema = {
  type: 'object',
  description: 'How requests arrive, by `kind`.',
  discriminator: {propertyName: 'kind'},
  properties: {
    kind: {
      type: 'string',
      enum: ['poisson', 'bursty', 'diurnal', 'step', 'closed'],
      description: 'The arrival process.',
    },
  },
  required: ['kind'],
  oneOf: [
    object(
      'Poisson arrivals at a constant rate.',
      {kind: {type: 'string', const: 'poisson'}, rate: rate('Mean rate.')},
      ['kind', 'rate'],
    ),
    object(
      'A base rate with periodic bursts.',
      {
        kind: {type: 'string', const: 'bursty'},
        rate: rate('Rate outside bursts.'),
        burstRate: rate('Rate inside a burst.'),
        every: duration('Time from one burst start to the next.'),
        burstLength: duration('How long a burst lasts.'),
        firstAt: duration('When the first burst starts, from the start of the run.', '0s'),
      },
      ['kind', 'rate', 'burstRate', 'every', 'burstLength'],
    ),
    object(
      'A daily cycle: meanRate × (1 + amplitude·cos(2π(hour − peakHour)/24)), UTC.',
      {
        kind: {type: 'string', const: 'diurnal'},
        meanRate: rate('Mean over the day.'),
        amplitude: {type: 'number', minimum: 0, maximum: 1, description: 'Relative swing around the mean.'},
        peakHour: {type: 'number', minimum: 0, maximum: 24, default: 14, description: 'Hour of day (UTC) of the peak.'},
      },
      ['kind', 'meanRate', 'amplitude'],
    ),
    object(
      'Piecewise constant rates.',
      {
        kind: {type: 'string', const: 'step'},
        steps: {
          type: 'array',
          minItems: 1,
          description: 'Each rate holds from `at` until the next step.',
          items: object('One step.', {at: duration('From the start of the run.'), rate: rate('Rate from then on.')}, [
            'at',
            'rate',
          ]),
        },
      },
      ['kind', 'steps'],
    ),
    object(
      'A closed loop of clients, each sending its next request when the last one ends (benchmark style).',
      {kind: {type: 'string', const: 'closed'}, concurrency: {type: 'integer', minimum: 1, description: 'Clients.'}},
      ['kind', 'concurrency'],
    ),
  ],
}

const serving: Schema = object(
  "How the model serves: the latency model's inputs (defaults: Llama-3.1-8B on vLLM, published step coefficients).",
  {
    base: {
      type: 'string',
      enum: ['llama-3.1-8b'],
      default: 'llama-3.1-8b',
      description: 'Base profile whose fitted step coefficients are scaled.',
    },
    paramsB: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Parameters in billions: scales the weight-read and per-token compute terms.',
    },
    weightsGiB: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'Weights resident on the GPU (defaults from paramsB, bf16).',
    },
    kvBytesPerToken: {
      type: 'number',
      exclusiveMinimum: 0,
      description: 'KV cache per context token (Llama-3.1-8B: 131072).',
    },
    coefficients: {
      type: 'object',
      description:
        'Step coefficients per GPU model, in microseconds: step = max(a + b·prefill tokens + c·decode tokens + d·KV tokens, e·(prefill + decode tokens)).',
      additionalProperties: object(
        'Coefficients for one GPU model.',
        {
          a: {type: 'number', minimum: 0},
          b: {type: 'number', minimum: 0},
          c: {type: 'number', minimum: 0},
          d: {type: 'number', minimum: 0},
          e: {
            type: 'number',
            minimum: 0,
            description:
              'Compute roof, µs per batched token of a compute-bound step (default: 2 FLOPs per parameter at computeEfficiency × the dense BF16 peak).',
          },
        },
        ['a', 'b', 'c', 'd'],
      ),
    },
    computeEfficiency: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      default: 1,
      description:
        "Share of the GPU's dense BF16 peak a compute-bound step sustains (MFU); sets the compute roof unless the coefficients give e. 1 is the physical roof.",
    },
    maxNumSeqs: {
      type: 'integer',
      minimum: 1,
      description: 'vLLM max_num_seqs (default 1024 on H100-class GPUs, else 256).',
    },
    maxBatchedTokens: {
      type: 'integer',
      minimum: 1,
      description: 'vLLM max_num_batched_tokens (default 8192 on H100-class GPUs, else 2048).',
    },
    gpuMemoryUtilization: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.9,
      description: 'vLLM gpu_memory_utilization.',
    },
  },
)

export const SCENARIO_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://gpu-scale.dev/schemas/scenario.schema.json',
  title: 'gpu-scale twin Scenario',
  description:
    'A scenario for the digital twin: a cluster (a ScalingPolicy plus its starting state), how models serve, and their load.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'cluster'],
  properties: {
    apiVersion: {type: 'string', const: SCENARIO_API_VERSION, description: `Always ${SCENARIO_API_VERSION}.`},
    kind: {type: 'string', const: SCENARIO_KIND, description: `Always ${SCENARIO_KIND}.`},
    metadata: object(
      'Scenario metadata.',
      {name: name('The scenario name.'), description: {type: 'string', description: 'What the scenario shows.'}},
      ['name'],
    ),
    start: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
      default: '2026-11-28T00:00:00Z',
      description: 'When the run starts (RFC 3339, UTC); diurnal load follows the hour of day.',
    },
    duration: duration('How long to run.', '1h'),
    seed: {type: 'integer', minimum: 0, default: 1, description: 'Seed of every random draw: one seed, one event log.'},
    cluster: object(
      'The cluster: the policy it runs and its state and behaviour.',
      {
        policy: {
          ...POLICY_SCHEMA,
          description: 'The ScalingPolicy (same format as gpu-scale.yaml) whose node groups and models the twin runs.',
        },
        initialNodes: {
          type: 'object',
          default: {},
          description: 'Nodes per group already up and allocatable at the start.',
          additionalProperties: {type: 'integer', minimum: 0},
        },
        coldStartSpread: {
          type: 'number',
          minimum: 0,
          default: 0,
          description: 'Lognormal σ applied to every cold-start part (0: exactly the configured values).',
        },
        migReconfigureTime: duration(
          'From setting nvidia.com/mig.config to the MIG manager reporting success or failed.',
          '60s',
        ),
        capacityErrors: {
          type: 'array',
          default: [],
          description: 'Windows in which launches of a group fail with a capacity error.',
          items: object(
            'One window.',
            {
              group: name('Node group.'),
              from: duration('Start, from the start of the run.'),
              to: duration('End, from the start of the run.'),
            },
            ['group', 'from', 'to'],
          ),
        },
        spot: object('Spot interruptions.', {
          notice: duration('Notice before reclaim (AWS: 2 minutes).', '120s'),
          interruptionsPerNodeHour: {
            type: 'number',
            minimum: 0,
            default: 0,
            description: 'Random interruptions per spot node per hour.',
          },
          replace: {
            type: 'boolean',
            default: true,
            description: 'Launch a replacement for a reclaimed node (an ASG keeps its desired capacity).',
          },
          storms: {
            type: 'array',
            default: [],
            description: 'Scripted interruptions.',
            items: object(
              'Notices to `count` nodes of `group` at `at`.',
              {
                at: duration('From the start of the run.'),
                group: name('Spot node group.'),
                count: {type: 'integer', minimum: 1},
              },
              ['at', 'group', 'count'],
            ),
          },
        }),
        pdbs: {
          type: 'array',
          default: [],
          description: 'PodDisruptionBudgets.',
          items: object(
            "A PDB selecting one model's pods.",
            {model: name('Model.'), maxUnavailable: {type: 'integer', minimum: 0}},
            ['model', 'maxUnavailable'],
          ),
        },
      },
      ['policy'],
    ),
    models: {
      type: 'array',
      default: [],
      description:
        'Per model: replicas at the start, serving profile and SLO (models not listed start at their min, default profile).',
      items: object(
        'One model of the policy.',
        {
          name: name('A model of cluster.policy.'),
          replicas: {type: 'integer', minimum: 0, description: 'Replicas at the start (default replicas.min).'},
          serving,
          slo: object("Targets a request must meet to count as within SLO (default: the policy's settings.slo).", {
            ttft: duration('Time to first token.'),
            latency: duration('End-to-end latency.'),
          }),
        },
        ['name'],
      ),
    },
    load: {
      type: 'array',
      default: [],
      description: 'Request generators, one per model.',
      items: object(
        'Load of one model.',
        {model: name('A model of cluster.policy.'), arrivals, input: tokens('Prompt'), output: tokens('Output')},
        ['model', 'arrivals'],
      ),
    },
    trace: {
      type: 'array',
      default: [],
      description: 'Individual requests (t in seconds from the start), in addition to the generators.',
      items: object(
        'One request.',
        {
          t: {type: 'number', minimum: 0},
          model: name('Model.'),
          inputTokens: {type: 'integer', minimum: 1},
          outputTokens: {type: 'integer', minimum: 1},
        },
        ['t', 'model', 'inputTokens', 'outputTokens'],
      ),
    },
    telemetry: object('Telemetry sampling.', {
      scrapeInterval: duration('How often DCGM and vLLM series are sampled (dcgm-exporter default 30 s).', '30s'),
      retention: duration('How much history snapshots can carry.', '3h'),
    }),
    faults: {
      type: 'array',
      default: [],
      description:
        'Faults injected at a moment of the run when it is served (`sim serve`), as the control endpoint /_twin/faults takes them.',
      items: object(
        'One fault.',
        {
          at: duration('From the start of the run.'),
          type: {
            type: 'string',
            enum: ['metrics', 'mig-stuck', 'spot-interruption'],
            description:
              'metrics: series vanish, freeze, read NaN or are duplicated; mig-stuck: the MIG manager on `node` stays pending; spot-interruption: a notice to `node` now.',
          },
          mode: {
            type: 'string',
            enum: ['vanish', 'freeze', 'nan', 'duplicate', 'clear'],
            description: 'For metrics faults.',
          },
          target: {
            type: 'string',
            description: 'For metrics faults: node/<name> or pod/<namespace>/<name> (all targets when absent).',
          },
          metric: {
            type: 'string',
            description: 'For metrics faults: one metric (histograms by family name); all when absent.',
          },
          node: {
            type: 'string',
            description: 'For mig-stuck and spot-interruption: the node, as the twin names it (<group>-001, ...).',
          },
          release: {type: 'boolean', description: 'For mig-stuck: release a held MIG manager.'},
        },
        ['at', 'type'],
      ),
    },
  },
} as const
