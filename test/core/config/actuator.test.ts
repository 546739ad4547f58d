/** `nodeGroups[].actuator`: how apply resizes a group; defaults filled in, mistakes located. */
import {describe, expect, test} from 'vitest'

import {listProblems, parseChanged} from './build-config.js'

const withActuator = (actuator: unknown) =>
  parseChanged((raw) => void ((raw.nodeGroups[0] as Record<string, unknown>).actuator = actuator))

describe('nodeGroups[].actuator', () => {
  test.each([
    {why: 'absent: apply refuses the group, the plan is unchanged', actuator: undefined, expected: undefined},
    {
      why: 'machine-deployment: the group name and namespace default',
      actuator: {kind: 'machine-deployment'},
      expected: {kind: 'machine-deployment', namespace: 'default', name: 'standard'},
    },
    {
      why: 'machine-deployment with its own name',
      actuator: {kind: 'machine-deployment', namespace: 'capi', name: 'gpu-a100'},
      expected: {kind: 'machine-deployment', namespace: 'capi', name: 'gpu-a100'},
    },
    {
      why: 'headroom: the PriorityClass defaults',
      actuator: {kind: 'headroom'},
      expected: {kind: 'headroom', namespace: 'default', priorityClassName: 'gpu-scale-headroom'},
    },
    {
      why: 'command: argv kept, timeout in seconds (default 60 s)',
      actuator: {kind: 'command', command: ['/bin/resize', '--pool', 'a']},
      expected: {kind: 'command', command: ['/bin/resize', '--pool', 'a'], timeoutSeconds: 60},
    },
    {
      why: 'command with a timeout',
      actuator: {kind: 'command', command: ['/bin/resize'], timeout: '2m'},
      expected: {kind: 'command', command: ['/bin/resize'], timeoutSeconds: 120},
    },
  ])('$why', ({actuator, expected}) => {
    const result = withActuator(actuator)
    expect(listProblems(result, 'error')).toEqual([])
    expect(result.config?.nodeGroups[0]?.actuator).toEqual(expected)
  })

  test.each([
    {why: 'an unknown kind', actuator: {kind: 'karpenter'}, problem: 'nodeGroups[0].actuator.kind'},
    {why: 'a misspelled field', actuator: {kind: 'headroom', priorityClass: 'x'}, problem: 'nodeGroups[0].actuator'},
    {
      why: 'a command without argv',
      actuator: {kind: 'command'},
      problem: 'ActuatorCommandMissing@nodeGroups[0].actuator',
    },
    {
      why: 'a command line as an empty list',
      actuator: {kind: 'command', command: []},
      problem: 'nodeGroups[0].actuator.command',
    },
  ])('$why: an error located at the field', ({actuator, problem}) => {
    const problems = listProblems(withActuator(actuator), 'error')
    expect(
      problems.some((p) => p.includes(problem)),
      problems.join(', '),
    ).toBe(true)
  })
})
