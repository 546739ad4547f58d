/**
 * Node-group actuators: the command actuator as a process contract (argv without a shell, the change as JSON on
 * stdin, exit status and stderr), and the Cluster API and headroom actuators against `sim serve`.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {loadConfigFile} from '../../../src/adapters/config-file.js'
import {connectCluster} from '../../../src/adapters/kubernetes/connection.js'
import {KubeApi} from '../../../src/adapters/kubernetes/kube-api.js'
import {
  createNodeGroupWriter,
  readGroupTargetSize,
  runCommand,
} from '../../../src/adapters/kubernetes/node-group-actuators.js'
import type {PolicyConfig} from '../../../src/core/model/config.js'
import {captureLiveCluster} from '../../../src/services/live-cluster.js'
import type {NodeGroupWriter} from '../../../src/core/ports.js'
import {startApplyTwin, type ApplyTwin} from '../../services/apply-helpers.js'

const node = process.execPath
const command = (script: string, timeoutSeconds = 30) => ({
  kind: 'command' as const,
  command: [node, '-e', script],
  timeoutSeconds,
})

describe('command actuator', () => {
  test.each([
    {
      why: 'exit 0: done',
      actuator: command('process.stdin.resume(); process.stdin.on("end", () => process.exit(0))'),
      expected: {status: 'done'},
    },
    {
      why: 'a non-zero exit: failed with the last line of stderr',
      actuator: command('console.error("starting"); console.error("quota exceeded for g5.12xlarge"); process.exit(3)'),
      expected: {status: 'failed', failure: 'other', message: `${node} exited 3: quota exceeded for g5.12xlarge`},
    },
    {
      why: 'a program that does not exist: failed, naming it',
      actuator: {kind: 'command' as const, command: ['/nonexistent/scale-group'], timeoutSeconds: 5},
      expected: {status: 'failed', failure: 'other', message: 'cannot run /nonexistent/scale-group: ENOENT'},
    },
    {
      why: 'never through a shell: a command line in one string is one (missing) program, not a pipeline',
      actuator: {kind: 'command' as const, command: ['true && echo pwned'], timeoutSeconds: 5},
      expected: {status: 'failed', failure: 'other', message: 'cannot run true && echo pwned: ENOENT'},
    },
    {
      why: 'a program that hangs: killed at its timeout, failed',
      actuator: command('setInterval(() => {}, 1000)', 0.3),
      expected: {status: 'failed', failure: 'other', message: `${node} timed out after 0.3s and was killed`},
    },
  ])('$why', async ({actuator, expected}) => {
    expect(await runCommand(actuator, {action: 'increase-size', group: 'standard', delta: 2})).toEqual(expected)
  })

  test('stdin carries the action and the change as one JSON document', async () => {
    const out = join(process.env.TMPDIR ?? '/tmp', `gpu-scale-stdin-${process.pid}.json`)
    const actuator = command(
      `let s=""; process.stdin.on("data", d => s += d); process.stdin.on("end", () => { require("fs").writeFileSync(${JSON.stringify(out)}, s) })`,
    )
    await runCommand(actuator, {action: 'remove-node', group: 'l4-pool', node: 'l4-pool-004'})
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'NodeGroupAction',
      action: 'remove-node',
      group: 'l4-pool',
      node: 'l4-pool-004',
    })
  })
})

describe('against the twin', () => {
  let twin: ApplyTwin
  let api: KubeApi
  let config: PolicyConfig
  let groups: NodeGroupWriter

  beforeAll(async () => {
    twin = await startApplyTwin()
    api = new KubeApi(await connectCluster({kubeconfig: twin.serve.info.kubeconfig}), {sleep: twin.clock.sleep})
    config = (await loadConfigFile(twin.config)).config
    groups = createNodeGroupWriter(api, config)
  }, 60_000)

  afterAll(async () => {
    await twin?.close()
  })

  test('Cluster API: grows by the delta through the scale subresource (a 409 re-reads); the target size reads back', async () => {
    await twin.fault({type: 'status', code: 409, match: {method: 'PATCH', path: '/machinedeployments/standard/scale'}})
    expect(await readGroupTargetSize(api, config, 'standard')).toBe(3)
    expect(await groups.increaseSize('standard', 2)).toEqual({status: 'done'})
    expect(await readGroupTargetSize(api, config, 'standard')).toBe(5)
    const patches = twin.serve.server.requests.filter((r) => r.path.endsWith('/machinedeployments/standard/scale'))
    expect(patches.map((r) => `${r.method} ${r.code}`)).toEqual(['GET 200', 'PATCH 409', 'GET 200', 'PATCH 200'])
    expect(patches.at(-1)?.contentType).toBe('application/merge-patch+json')
  })

  test('headroom: one placeholder per node wanted, the PriorityClass created once, pending ones count as nodes on their way; removing deletes one', async () => {
    expect(await groups.increaseSize('large', 2)).toEqual({status: 'done'})
    expect(await groups.increaseSize('large', 1)).toEqual({status: 'done'})
    const placeholders = () =>
      twin.list('Pod', 'default').filter((p) => p.metadata.labels?.['gpu-scale.dev/headroom'] === 'large')
    expect(placeholders()).toHaveLength(3)
    expect(placeholders()[0]?.spec).toMatchObject({
      priorityClassName: 'gpu-scale-headroom',
      tolerations: [{key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule'}],
    })
    expect(twin.list('PriorityClass')).toHaveLength(1)
    expect(twin.object('PriorityClass', undefined, 'gpu-scale-headroom')).toMatchObject({
      value: -10,
      preemptionPolicy: 'Never',
    })
    // Pending placeholders are nodes on their way: counted in the target size, so the next plan does not ask again.
    expect(await readGroupTargetSize(api, config, 'large')).toBe(3 + 3)
    expect(await groups.removeNode('large', 'large-003')).toEqual({status: 'done'})
    expect(placeholders()).toHaveLength(2)
    expect(await readGroupTargetSize(api, config, 'large')).toBe(3 + 2)
  })

  test('the precondition reader and the snapshot mapping agree on every group target size (else apply would call its own plan stale)', async () => {
    await groups.increaseSize('large', 1)
    const {snapshot} = await captureLiveCluster(config, {kubeconfig: twin.serve.info.kubeconfig})
    for (const group of snapshot.nodeGroups)
      expect(await readGroupTargetSize(api, config, group.name), group.name).toBe(group.targetSize)
  })

  test('a group the config does not have, and one without an actuator: failed, saying what to do', async () => {
    expect(await groups.increaseSize('nope', 1)).toMatchObject({status: 'failed', failure: 'not-found'})
    expect(await groups.increaseSize('mig-pool', 1)).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('add nodeGroups[2].actuator'),
    })
  })
})
