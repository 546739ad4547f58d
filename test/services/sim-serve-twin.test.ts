/**
 * `sim serve` with the discrete-event twin bound: kubectl writes reach the twin and the twin's state comes back
 * as Kubernetes objects, in the twin's virtual time. The clock is paused (`speed: 0`) and the test steps it, so
 * "the node appears only after the cold start" is checked at exact virtual instants, without waiting.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test} from 'vitest'

import {resourceByKind, type KubeObject} from '../../src/core/kube-store/index.js'
import {startSimServe, type SimServeHandle} from '../../src/services/sim-serve.js'
import {kubectl} from '../helpers/kubectl.js'

let serve: SimServeHandle
let dir: string

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sim-serve-twin-'))
  serve = await startSimServe({port: 0, speed: 0, kubeconfigOut: join(dir, 'twin.kubeconfig')})
})

afterEach(async () => {
  await serve.close()
  rmSync(dir, {recursive: true, force: true})
})

const run = (...args: string[]) => kubectl(args, {kubeconfig: serve.info.kubeconfig, cacheDir: join(dir, 'cache')})
const node = (name: string) => serve.bound.store.get(resourceByKind('Node'), undefined, name)
const pods = (app: string) =>
  serve.bound.store.list(resourceByKind('Pod'), {namespace: 'llm'}).items.filter((p) => p.metadata.labels?.app === app)
const step = (seconds: number) => serve.bound.advance(serve.bound.twin.now + seconds)
const fault = async (body: object) => {
  const response = await fetch(serve.info.faults, {method: 'POST', body: JSON.stringify(body)})
  return {status: response.status, body: (await response.json()) as {ok?: boolean; message?: string}}
}
const isReady = (pod: KubeObject) =>
  pod.status?.conditions?.some((c: {type: string; status: string}) => c.type === 'Ready' && c.status === 'True') ===
  true

describe('writes through the API reach the twin', () => {
  test('a MachineDeployment scale-up brings a node only after provisioning, with GPUs after driver init (standard: 120 s + 60 s)', async () => {
    expect((await run('scale', 'machinedeployment/standard', '--replicas=4')).code).toBe(0)
    const md = () => serve.bound.store.get(resourceByKind('MachineDeployment'), 'default', 'standard')
    expect(md()?.status).toMatchObject({replicas: 4, readyReplicas: 3})
    step(119)
    expect(
      (await run('get', 'nodes', '-l', 'gpu-scale.dev/node-group=standard', '-o', 'name')).stdout.trim().split('\n'),
    ).toHaveLength(3)
    step(1)
    const got = await run('get', 'node', 'standard-004', '-o', 'json')
    expect(got.code).toBe(0)
    const fresh = JSON.parse(got.stdout) as KubeObject
    // Registered: capacity is known, the device plugin is not up yet (facts §6).
    expect(fresh.status.capacity['nvidia.com/gpu']).toBe('1')
    expect(fresh.status.allocatable['nvidia.com/gpu']).toBe('0')
    expect(fresh.metadata.labels).toMatchObject({
      'nvidia.com/gpu.product': expect.any(String),
      'gpu-scale.dev/node-group': 'standard',
    })
    step(59)
    expect(node('standard-004')?.status.allocatable['nvidia.com/gpu']).toBe('0')
    step(1)
    expect(node('standard-004')?.status.allocatable['nvidia.com/gpu']).toBe('1')
    expect(md()?.status).toMatchObject({replicas: 4, readyReplicas: 4})
  })

  test('a MachineDeployment scale-down removes the newest registered node (Cluster API deletes Machines newest first)', async () => {
    step(600)
    expect((await run('scale', 'machinedeployment/l4-pool', '--replicas=3')).code).toBe(0)
    // l4-pool-004 is idle: it goes at once; the three serving whisper-small stay.
    expect(node('l4-pool-004')).toBeUndefined()
    expect(serve.bound.store.get(resourceByKind('MachineDeployment'), 'default', 'l4-pool')?.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
    })
    expect(serve.bound.binding.actions.at(-1)).toMatchObject({
      verb: 'removeNode',
      target: 'l4-pool-004',
      result: {ok: true},
    })
  })

  test('a MIG label change on an idle node goes pending, then success after the reconfiguration (60 s), with the new slices allocatable', async () => {
    const before = node('mig-pool-002')
    expect(before?.metadata.labels?.['nvidia.com/mig.config.state']).toBe('success')
    expect((await run('label', 'node', 'mig-pool-002', 'nvidia.com/mig.config=all-1g.10gb', '--overwrite')).code).toBe(
      0,
    )
    const state = async () =>
      (await run('get', 'node', 'mig-pool-002', '-o', 'jsonpath={.metadata.labels.nvidia\\.com/mig\\.config\\.state}'))
        .stdout
    expect(await state()).toBe('pending')
    step(59)
    expect(await state()).toBe('pending')
    step(1)
    expect(await state()).toBe('success')
    // Two A100-80GB cut into seven 1g.10gb each (NVIDIA's default mig-parted config).
    expect(node('mig-pool-002')?.status.allocatable['nvidia.com/mig-1g.10gb']).toBe('14')
  })

  test('scaling a Deployment: the new pod is Pending, then Running (pulling done), then Ready (weights loaded)', async () => {
    // whisper-small on L4s: image pull 20 s on a node without the image, 1 GiB at 1 GiB/s.
    expect((await run('scale', 'deployment/whisper-small', '-n', 'llm', '--replicas=4')).code).toBe(0)
    const added = () => pods('whisper-small').find((p) => p.spec.nodeName === 'l4-pool-004')
    step(0)
    expect(added()?.status.phase).toBe('Pending')
    step(20)
    expect(added()?.status.phase).toBe('Running')
    expect(isReady(added() as KubeObject)).toBe(false)
    step(1)
    expect(isReady(added() as KubeObject)).toBe(true)
    expect(serve.bound.store.get(resourceByKind('Deployment'), 'llm', 'whisper-small')?.status).toMatchObject({
      replicas: 4,
      readyReplicas: 4,
    })
  })

  test("cordon reaches the twin's scheduler: a new pod stays Pending until uncordon", async () => {
    expect((await run('cordon', 'l4-pool-004')).code).toBe(0)
    await run('scale', 'deployment/whisper-small', '-n', 'llm', '--replicas=4')
    step(5)
    expect(pods('whisper-small').filter((p) => !p.spec.nodeName)).toHaveLength(1)
    expect((await run('uncordon', 'l4-pool-004')).code).toBe(0)
    step(0)
    expect(pods('whisper-small').filter((p) => !p.spec.nodeName)).toHaveLength(0)
  })

  test('an eviction marks the pod terminating (deletionTimestamp) for its grace period; the ReplicaSet replaces it', async () => {
    step(600)
    const victim = pods('llama-8b')[0] as KubeObject
    expect(isReady(victim)).toBe(true)
    const evicted = await fetch(`${serve.info.api}/api/v1/namespaces/llm/pods/${victim.metadata.name}/eviction`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: {name: victim.metadata.name, namespace: 'llm'},
      }),
    })
    expect(evicted.status).toBe(201)
    const after = serve.bound.store.get(resourceByKind('Pod'), 'llm', victim.metadata.name)
    // It was serving requests: it drains them within the 600 s grace period, or is deleted at once when idle.
    if (after) {
      expect(after.metadata.deletionTimestamp).toBeDefined()
      expect(isReady(after)).toBe(false)
    }
    step(600)
    expect(serve.bound.store.get(resourceByKind('Pod'), 'llm', victim.metadata.name)).toBeUndefined()
    expect(pods('llama-8b').filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(2)
  })
})

describe('twin faults through the control endpoint', () => {
  test('a MIG reconfiguration held by the fault stays pending until released', async () => {
    expect((await fault({type: 'mig-stuck', node: 'mig-pool-002'})).status).toBe(201)
    await run('label', 'node', 'mig-pool-002', 'nvidia.com/mig.config=all-disabled', '--overwrite')
    step(600)
    expect(node('mig-pool-002')?.metadata.labels?.['nvidia.com/mig.config.state']).toBe('pending')
    expect((await fault({type: 'mig-stuck', node: 'mig-pool-002', release: true})).status).toBe(201)
    step(0)
    expect(node('mig-pool-002')?.metadata.labels?.['nvidia.com/mig.config.state']).toBe('success')
    expect(node('mig-pool-002')?.status.allocatable['nvidia.com/gpu']).toBe('2')
  })

  test('a spot interruption now: the node is cordoned, its pods terminate, it is reclaimed after the 120 s notice and replaced', async () => {
    step(600)
    expect((await fault({type: 'spot-interruption', node: 'large-001'})).status).toBe(201)
    expect(node('large-001')?.spec.unschedulable).toBe(true)
    expect(
      pods('llama-70b').filter((p) => p.spec.nodeName === 'large-001' && !p.metadata.deletionTimestamp),
    ).toHaveLength(0)
    step(120)
    expect(node('large-001')).toBeUndefined()
    expect(serve.bound.binding.snapshot.nodeGroups.find((g) => g.name === 'large')?.targetSize).toBe(3)
    expect((await fault({type: 'spot-interruption', node: 'no-such-node'})).status).toBe(409)
  })
})

describe('metrics endpoints', () => {
  const scrape = async (target: string) => {
    const response = await fetch(`${serve.info.metrics}${target}`)
    return {status: response.status, text: await response.text()}
  }

  test('the targets file follows pods as they become ready and go', async () => {
    step(600)
    await serve.flushTargets()
    const targets = () =>
      (JSON.parse(readFileSync(serve.info.metricsTargets, 'utf8')) as Array<{labels: Record<string, string>}>).map(
        (t) => t.labels.__metrics_path__,
      )
    expect(targets()).toContain('/_twin/metrics/node/standard-001')
    expect(targets().filter((p) => p?.startsWith('/_twin/metrics/pod/llm/whisper-small-'))).toHaveLength(3)
    await run('scale', 'deployment/whisper-small', '-n', 'llm', '--replicas=1')
    step(120)
    await serve.flushTargets()
    expect(targets().filter((p) => p?.startsWith('/_twin/metrics/pod/llm/whisper-small-'))).toHaveLength(1)
    expect((await scrape('pod/llm/whisper-small-00003')).status).toBe(404)
  })

  test.each([
    {
      mode: 'vanish',
      check: (before: string, after: string) => {
        expect(before).toContain('vllm:num_requests_waiting{')
        expect(after).not.toContain('vllm:num_requests_waiting{')
      },
      why: 'the series leaves the exposition: Prometheus marks it stale',
    },
    {
      mode: 'nan',
      check: (_b: string, after: string) =>
        expect(after).toMatch(/^vllm:num_requests_waiting\{engine="0",model_name="llama-8b"\} NaN$/m),
      why: 'the exporter reports NaN',
    },
    {
      mode: 'duplicate',
      check: (_b: string, after: string) => expect(after.match(/^vllm:num_requests_waiting\{/gm)).toHaveLength(2),
      why: 'a second series with the same metric: queries without aggregation get two',
    },
  ])('metric fault $mode: $why', async ({mode, check}) => {
    step(600)
    const target = 'pod/llm/llama-8b-00001'
    const before = (await scrape(target)).text
    expect((await fault({type: 'metrics', mode, target, metric: 'vllm:num_requests_waiting'})).status).toBe(201)
    check(before, (await scrape(target)).text)
    // Other metrics and targets are untouched.
    expect((await scrape(target)).text).toContain('vllm:kv_cache_usage_perc{')
  })

  test('metric fault freeze: the value stops following the twin', async () => {
    step(600)
    const target = 'node/standard-001'
    const util = async () => Number((await scrape(target)).text.match(/^DCGM_FI_PROF_SM_ACTIVE\{[^}]*\} (\S+)$/m)?.[1])
    await fault({type: 'metrics', mode: 'freeze', target, metric: 'DCGM_FI_PROF_SM_ACTIVE'})
    const frozen = await util()
    const live: number[] = []
    for (let i = 0; i < 10; i++) {
      step(30)
      live.push(
        serve.bound.twin
          .latestTelemetry()
          .find((s) => s.metric === 'DCGM_FI_PROF_SM_ACTIVE' && s.labels.Hostname === 'standard-001')?.value ?? NaN,
      )
      expect(await util()).toBe(frozen)
    }
    expect(new Set(live).size).toBeGreaterThan(1)
    await fault({type: 'metrics', mode: 'clear'})
    expect(await util()).toBe(live.at(-1))
  })
})
