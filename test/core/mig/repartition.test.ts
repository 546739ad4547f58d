import {describe, expect, test} from 'vitest'

import {
  evaluateMigConfigWait,
  parseMigPartedConfig,
  planRepartitionChange,
  type RepartitionInput,
} from '../../../src/core/mig/index.js'

const CONFIG = parseMigPartedConfig(
  'version: v1\nmig-configs:\n  all-3g.40gb:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"3g.40gb": 2}\n  all-1g.10gb:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"1g.10gb": 7}\n',
  'cfg.yaml',
).config

const base = (overrides: Partial<RepartitionInput> = {}): RepartitionInput => ({
  node: 'gpu-a',
  gpus: [
    {
      index: 0,
      model: 'A100-80GB',
      from: [{profile: '1g.10gb', start: 0, pod: 'llm/small-1'}],
      to: [
        {profile: '3g.40gb', start: 0},
        {profile: '3g.40gb', start: 4},
      ],
    },
  ],
  pods: [
    {
      name: 'llm/small-1',
      workload: 'Deployment/small',
      terminationGracePeriodSeconds: 30,
      destination: {node: 'gpu-b', gpu: 1, profile: '1g.10gb', start: 3},
    },
  ],
  pdbs: [],
  migConfig: CONFIG,
  now: 1_700_000_000,
  ...overrides,
})

describe('planRepartitionChange', () => {
  test('a matching config name: planned, five ordered steps, eta from drain + reconfigure', () => {
    const {change, diagnostics} = planRepartitionChange(base({timing: {reconfigureSeconds: 120}}))
    expect(change.status).toBe('planned')
    expect(change.action).toBe('repartition-gpu')
    expect(change.target).toEqual({kind: 'GPU', name: 'gpu-a/0', node: 'gpu-a', gpu: 0})
    expect(change.from).toBe('1g.10gb@0')
    expect(change.to).toBe('3g.40gb@0,3g.40gb@4')
    expect(change.steps?.map((s) => s.action)).toEqual([
      'cordon',
      'drain',
      'set-mig-config',
      'wait-mig-config',
      'uncordon',
    ])
    expect(change.steps?.[2]?.description).toContain('nvidia.com/mig.config=all-3g.40gb')
    expect(change.eta?.seconds).toBe(30 + 120)
    expect(change.eta?.at).toBe('2023-11-14T22:15:50Z')
    expect(change.details?.moves).toEqual([
      {pod: 'llm/small-1', workload: 'Deployment/small', to: {node: 'gpu-b', gpu: 1, profile: '1g.10gb', start: 3}},
    ])
    expect(change.reasons.map((r) => r.code)).toEqual(['MigLayoutChange', 'MigConfigMatched'])
    expect(diagnostics).toEqual([])
  })

  test.each([
    {
      why: 'no config gives this layout: blocked, with the entry to add',
      input: base({
        gpus: [
          {
            index: 0,
            model: 'A100-80GB',
            from: [],
            to: [
              {profile: '4g.40gb', start: 0},
              {profile: '3g.40gb', start: 4},
            ],
          },
        ],
        pods: [],
      }),
      code: 'MigConfigEntryMissing',
      status: 'blocked',
    },
    {
      why: 'a PDB allowing no disruption blocks the drain',
      input: base({pdbs: [{namespace: 'llm', name: 'small', workload: 'Deployment/small', maxUnavailable: 0}]}),
      code: 'PdbBlocksDrain',
      status: 'blocked',
    },
    {
      why: 'a PDB of 1 drains 3 pods in 3 waves',
      input: base({
        pods: [1, 2, 3].map((i) => ({
          name: `llm/small-${i}`,
          workload: 'Deployment/small',
          terminationGracePeriodSeconds: 20,
        })),
        pdbs: [{namespace: 'llm', name: 'small', workload: 'Deployment/small', maxUnavailable: 1}],
      }),
      code: 'PdbLimitsDrain',
      status: 'planned',
    },
    {
      why: 'a failed MIG Manager blocks further repartitions',
      input: base({migConfigState: 'failed'}),
      code: 'MigManagerFailed',
      status: 'blocked',
    },
    {
      why: 'a reconfiguration still pending blocks a new one',
      input: base({migConfigState: 'pending'}),
      code: 'MigManagerBusy',
      status: 'blocked',
    },
  ])('$why → $code', ({input, code, status}) => {
    const {change} = planRepartitionChange(input)
    expect(change.status).toBe(status)
    expect(change.reasons.map((r) => r.code)).toContain(code)
    if (status === 'blocked') expect(change.eta).toBeNull()
  })

  test('the emitted entry is a valid mig-parted config entry for the node', () => {
    const {change} = planRepartitionChange(
      base({
        gpus: [
          {
            index: 0,
            model: 'A100-80GB',
            from: [],
            to: [
              {profile: '4g.40gb', start: 0},
              {profile: '3g.40gb', start: 4},
            ],
          },
        ],
        pods: [],
      }),
    )
    const entry = String(change.payload.migConfigEntry)
    expect(entry).toBe(
      'gpu-scale-1x3g.40gb-1x4g.40gb:\n  - devices: all\n    mig-enabled: true\n    mig-devices: {"3g.40gb": 1, "4g.40gb": 1}\n',
    )
    const reparsed = parseMigPartedConfig(`version: v1\nmig-configs:\n${entry.replace(/^/gm, '  ')}`, 'x.yaml')
    expect(reparsed.problems).toEqual([])
  })

  test('drain time is waves × grace period', () => {
    const {change} = planRepartitionChange(
      base({
        pods: [1, 2, 3].map((i) => ({
          name: `llm/small-${i}`,
          workload: 'Deployment/small',
          terminationGracePeriodSeconds: 20,
        })),
        pdbs: [{namespace: 'llm', name: 'small', workload: 'Deployment/small', maxUnavailable: 1}],
        timing: {reconfigureSeconds: 100},
      }),
    )
    expect(change.details?.drainSeconds).toBe(60)
    expect(change.eta?.seconds).toBe(160)
  })
})

describe('evaluateMigConfigWait', () => {
  test.each([
    {why: 'success uncordons', state: 'success', waited: 50, status: 'success', cordoned: false, code: undefined},
    {
      why: 'failed keeps the node cordoned',
      state: 'failed',
      waited: 50,
      status: 'failed',
      cordoned: true,
      code: 'MigConfigFailed',
    },
    {
      why: 'pending within the timeout keeps waiting',
      state: 'pending',
      waited: 100,
      status: 'waiting',
      cordoned: true,
      code: undefined,
    },
    {
      why: 'pending past the timeout is the MIG Manager wedge',
      state: 'pending',
      waited: 600,
      status: 'timed-out',
      cordoned: true,
      code: 'MigConfigTimedOut',
    },
  ])('$why', ({state, waited, status, cordoned, code}) => {
    const result = evaluateMigConfigWait('gpu-a', state, waited, 600)
    expect(result.status).toBe(status)
    expect(result.keepCordoned).toBe(cordoned)
    expect(result.diagnostic?.code).toBe(code)
  })
})
