/**
 * examples/deploy: the manifests that run `gpu-scale apply --watch` in a cluster.
 *
 * 1. They render (`kubectl kustomize`, offline) and every field of every object is one the Kubernetes API has, with
 *    the right type (checked against @kubernetes/client-node's models, as `kubectl --validate=strict` would against
 *    the OpenAPI; kubectl cannot validate without a server). The kinds the twin API server serves are created there
 *    with kubectl. The Deployment keeps its promises (2 replicas, non-root, read-only root, resources, /healthz on
 *    the --listen port) and the ConfigMap holds a config that validates.
 * 2. Least privilege: the commands that run in the cluster (snapshot, import, apply with every actuator, MIG and
 *    --hpa-mode drive, apply --watch) are run against the twin with gpu-scale's namespace, and the twin's request
 *    log is compared with rbac.yaml: every request is allowed, and every grant is used by some request (the few the
 *    twin cannot exercise are listed with why).
 */
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as k8s from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parse, parseAllDocuments, stringify} from 'yaml'

import ApplyCommand from '../../src/commands/apply.js'
import {parseConfig} from '../../src/core/config/load.js'
import {resourceByKind} from '../../src/core/kube-store/index.js'
import {defaultScenario, defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {cli, repoRoot} from '../helpers/cli.js'
import {kubectlPath} from '../helpers/kubectl.js'
import {describeGrant, describeRequest, type Grant, grantsAllowing, grantsOf} from '../helpers/rbac.js'
import {startTestTwin, type TestTwin} from '../helpers/twin.js'
import {watchLive} from '../../src/services/watch.js'
import {growGroup, removeNode, repartition, replicas, startApplyTwin, type ApplyTwin} from '../services/apply-helpers.js'

const DEPLOY = join(repoRoot, 'examples/deploy')
const NAMESPACE = 'gpu-scale'
const ACCOUNT = {namespace: NAMESPACE, name: 'gpu-scale'}

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are checked field by field against the models */
type Doc = any

const rendered = execFileSync(kubectlPath(), ['kustomize', DEPLOY], {encoding: 'utf8'})
const docs: Doc[] = parseAllDocuments(rendered).map((d) => d.toJS())
const byKind = (kind: string) => docs.filter((d) => d.kind === kind)

describe('the manifests', () => {
  test('kustomize renders every file of the folder, each object once', () => {
    const files = readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')
    for (const d of docs) expect(d.metadata?.name, JSON.stringify(d)).toBeTruthy()
    expect(docs.map((d) => d.kind).sort()).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'Namespace',
        'PriorityClass',
        'Role',
        'RoleBinding',
        'ServiceAccount',
      ].sort(),
    )
    expect(files).toMatch(/resources:/)
  })

  test.each(docs.map((d) => ({kind: d.kind as string, name: d.metadata.name as string, doc: d})))(
    '$kind $name has only fields the Kubernetes API knows, with their types',
    ({kind, doc}) => {
      expect(checkAgainstModel(doc, `V1${kind}`, kind)).toEqual([])
    },
  )

  test('the model check can fail: an unknown field and a wrong type are found', () => {
    const broken = structuredClone(byKind('Deployment')[0])
    broken.spec.template.spec.containers[0].securityContext.readOnlyRootFS = true
    broken.spec.replicas = 'two'
    expect(checkAgainstModel(broken, 'V1Deployment', 'Deployment')).toEqual([
      'Deployment.spec.replicas: expected number, got string',
      'Deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFS: unknown field',
    ])
  })

  test('the Deployment: 2 replicas of apply --watch, non-root, read-only root, resources, /healthz on --listen', () => {
    const deployment = byKind('Deployment')[0]
    const pod = deployment.spec.template.spec
    const container = pod.containers[0]
    expect(deployment.spec.replicas).toBe(2)
    expect(container.args.slice(0, 4)).toEqual(['apply', '--watch', '-c', '/etc/gpu-scale/gpu-scale.yaml'])
    // Every flag it passes is one `apply` has (and so is every GPU_SCALE_* variable it sets).
    const flags = {...ApplyCommand.baseFlags, ...ApplyCommand.flags} as Record<string, {char?: string; env?: string}>
    const known = new Set(Object.entries(flags).flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])]))
    for (const arg of container.args.slice(1) as string[]) if (arg.startsWith('-')) expect(known, arg).toContain(arg)
    const envs = new Set(Object.values(flags).map((f) => f.env))
    for (const e of container.env as Array<{name: string}>) expect(envs, e.name).toContain(e.name)
    const listen = container.args[container.args.indexOf('--listen') + 1] as string
    const port = Number(listen.split(':').pop())
    expect(container.ports.find((p: Doc) => p.name === container.livenessProbe.httpGet.port).containerPort).toBe(port)
    expect(container.livenessProbe.httpGet.path).toBe('/healthz')
    expect(pod.securityContext.runAsNonRoot).toBe(true)
    expect(container.securityContext).toMatchObject({readOnlyRootFilesystem: true, allowPrivilegeEscalation: false})
    expect(container.resources.requests).toMatchObject({cpu: expect.any(String), memory: expect.any(String)})
    expect(container.resources.limits.memory).toBeDefined()
    expect(pod.serviceAccountName).toBe(ACCOUNT.name)
    const mount = container.volumeMounts.find((m: Doc) => m.mountPath === '/etc/gpu-scale')
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name)
    expect(volume.configMap.name).toBe(byKind('ConfigMap')[0].metadata.name)
  })

  test('the ConfigMap holds a config gpu-scale validates, every group with an actuator the RBAC allows', () => {
    const text = byKind('ConfigMap')[0].data['gpu-scale.yaml'] as string
    const parsed = parseConfig(text, 'configmap.yaml#gpu-scale.yaml')
    expect(parsed.problems).toEqual([])
    const groups = parsed.config?.nodeGroups ?? []
    expect(groups.length).toBeGreaterThan(0)
    for (const group of groups) {
      expect(group.actuator, group.name).toBeDefined()
      // Placeholders go where the Role lets gpu-scale create pods, in the PriorityClass it ships.
      if (group.actuator?.kind === 'headroom')
        expect(group.actuator).toMatchObject({
          namespace: byKind('Role')[0].metadata.namespace,
          priorityClassName: byKind('PriorityClass')[0].metadata.name,
        })
    }
  })

  test('headroom placeholders get a negative priority, below every real pod', () => {
    const [priorityClass] = byKind('PriorityClass')
    expect(priorityClass.value).toBeLessThan(0)
    expect(priorityClass.globalDefault).toBe(false)
  })
})

describe('kubectl creates what the twin API server serves', () => {
  let twin: TestTwin
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-deploy-'))
  beforeAll(async () => {
    twin = await startTestTwin()
  })
  afterAll(async () => {
    await twin?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  test.each(['Namespace', 'ConfigMap', 'Deployment'])('%s', async (kind) => {
    const file = join(dir, `${kind}.yaml`)
    writeFileSync(file, stringify(byKind(kind)[0]))
    // The twin serves no OpenAPI document, so kubectl's client-side schema check is off; the server decides.
    const created = await twin.kubectl('create', '--validate=false', '-f', file)
    expect(created.code, created.stderr).toBe(0)
    const object = byKind(kind)[0]
    expect(twin.object(kind, object.metadata.namespace, object.metadata.name)).toBeDefined()
  })
})

/**
 * Grants the twin cannot exercise, each with why it is still needed: Cluster API Machines are not served by the twin
 * (it reads the delete-machine mark from the node), while a real cluster's MachineSet controller needs it on the
 * Machine.
 */
const NOT_ON_THE_TWIN: Record<string, string> = {
  'patch cluster.x-k8s.io/machines (ClusterRole/gpu-scale, cluster)':
    'node removal marks the Machine with cluster.x-k8s.io/delete-machine; the twin has no Machines',
}

/**
 * gpu-scale reads and scales a StatefulSet through the same calls as a Deployment (the kind picks the path); the
 * twin's fleet has only Deployments, so a StatefulSet grant counts as used when its Deployment twin is.
 */
const SAME_AS: Record<string, string> = {
  'get apps/statefulsets (ClusterRole/gpu-scale, cluster)': 'get apps/deployments (ClusterRole/gpu-scale, cluster)',
  'patch apps/statefulsets/scale (ClusterRole/gpu-scale, cluster)':
    'patch apps/deployments/scale (ClusterRole/gpu-scale, cluster)',
}

describe('least privilege: rbac.yaml against the requests the commands make', () => {
  let twin: TestTwin
  const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-rbac-'))
  const grants = grantsOf(docs, ACCOUNT)
  const used = new Set<Grant>()
  const requests: Array<{command: string; request: string; allowedBy: string[]}> = []

  beforeAll(async () => {
    twin = await startTestTwin()
    const {config} = defaultScenario()
    const model = config.models[0] as (typeof config.models)[number]
    const ns = model.workload.namespace
    // An HPA and a ScaledObject to import (put straight into the store: setup is not a request under test).
    twin.cluster.store.create(resourceByKind('HorizontalPodAutoscaler'), {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {name: 'rbac-hpa', namespace: ns},
      spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: model.workload.name}, maxReplicas: 4},
    })
    twin.cluster.store.create(resourceByKind('ScaledObject'), {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: {name: 'rbac-so', namespace: ns},
      spec: {scaleTargetRef: {name: model.workload.name}, triggers: [{type: 'cpu', metadata: {value: '50'}}]},
    })
    const configFile = join(dir, 'gpu-scale.yaml')
    writeFileSync(configFile, stringify(defaultScenarioBuilder().rawConfig()))
    const cluster = ['--kubeconfig', twin.kubeconfig, '-n', NAMESPACE]
    const runs: Array<{command: string; args: string[]}> = [
      {command: 'snapshot', args: ['snapshot', '-c', configFile, '--out', join(dir, 'snap.json'), ...cluster]},
      {command: 'import/hpa', args: ['import', 'hpa', 'rbac-hpa', '--kubeconfig', twin.kubeconfig, '-n', ns]},
      {
        command: 'import/scaledobject',
        args: ['import', 'scaledobject', 'rbac-so', '--kubeconfig', twin.kubeconfig, '-n', ns],
      },
    ]
    for (const run of runs) {
      twin.server.requests.length = 0
      const result = await cli(run.args)
      expect(result.exitCode, `${run.args.join(' ')}\n${result.stderr}`).toBe(0)
      for (const r of twin.server.requests) {
        // Discovery (/api, /apis) is a non-resource URL every authenticated user may read (system:discovery).
        if (r.resource === undefined) continue
        const allowing = grantsAllowing(grants, r)
        for (const g of allowing) used.add(g)
        requests.push({command: run.command, request: describeRequest(r), allowedBy: allowing.map(describeGrant)})
      }
    }
  }, 120_000)
  afterAll(async () => {
    await twin?.close()
    await applyTwin?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  // apply and apply --watch, on `sim serve` with a paused clock (the apply's sleeps advance the twin): every
  // actuator, both directions, the MIG steps, the state ConfigMap, --hpa-mode drive for both owners, and the Lease.
  let applyTwin: ApplyTwin | undefined
  beforeAll(async () => {
    applyTwin = await startApplyTwin()
    const t = applyTwin
    const store = t.serve.bound.store
    // gpu-scale's namespace, the shipped PriorityClass, and the two other autoscalers --hpa-mode drive adjusts.
    store.create(resourceByKind('Namespace'), byKind('Namespace')[0])
    store.create(resourceByKind('PriorityClass'), byKind('PriorityClass')[0])
    store.create(resourceByKind('HorizontalPodAutoscaler'), {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {name: 'whisper', namespace: 'llm'},
      spec: {scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper-small'}, maxReplicas: 3},
    })
    store.create(resourceByKind('ScaledObject'), {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: {name: 'embed', namespace: 'llm'},
      spec: {scaleTargetRef: {name: 'embed-bge'}, minReplicaCount: 1, maxReplicaCount: 3, triggers: [{type: 'cpu'}]},
    })
    // The example's layout: headroom placeholders live in gpu-scale's own namespace (rbac.yaml's Role).
    const raw = parse(readFileSync(t.config, 'utf8')) as {nodeGroups: Array<{name: string; actuator?: object}>}
    for (const g of raw.nodeGroups)
      if (g.name === 'large') g.actuator = {kind: 'headroom', namespace: NAMESPACE, priorityClassName: 'gpu-scale-headroom'}
    writeFileSync(t.config, stringify(raw))
    const mig = t.object('Node', undefined, 'mig-pool-001')?.metadata.labels?.['nvidia.com/mig.config'] ?? null
    const runs: Array<{command: string; run: () => Promise<unknown>}> = [
      {
        command: 'apply (a saved plan: every actuator grows, MIG, replicas up)',
        run: () =>
          t.apply({
            namespace: NAMESPACE,
            yes: true,
            plan: t.savePlan([
              growGroup('standard', 3, 4),
              growGroup('large', 3, 5),
              repartition('mig-pool-001', mig, mig === 'all-1g.10gb' ? 'all-3g.40gb' : 'all-1g.10gb'),
              replicas('llama-8b', 2, 3),
            ]),
          }),
      },
      {
        command: 'apply (node removals: Cluster API and headroom; replicas down)',
        run: async () => {
          t.serve.bound.advance(t.serve.bound.twin.now + 600)
          return t.apply({
            namespace: NAMESPACE,
            allowScaleDown: true,
            plan: t.savePlan([
              removeNode('l4-pool', 'l4-pool-001', 4),
              removeNode('large', 'large-005', 5),
              replicas('llama-8b', 3, 2),
            ]),
          })
        },
      },
      {
        command: 'apply --hpa-mode drive (an HPA and a ScaledObject)',
        run: () =>
          t.apply({
            namespace: NAMESPACE,
            hpaMode: 'drive',
            plan: t.savePlan([replicas('whisper-small', 3, 4), replicas('embed-bge', 2, 3)]),
          }),
      },
      {command: 'apply -c (plans live, saves the state)', run: () => t.apply({namespace: NAMESPACE, yes: true})},
      {
        command: 'apply --watch (Lease, state, two ticks)',
        run: () =>
          watchLive({
            config: t.config,
            kubeconfig: t.serve.info.kubeconfig,
            namespace: NAMESPACE,
            clockPort: t.clock,
            identity: 'gpu-scale-0',
            signal: new AbortController().signal,
            yes: true,
            for: '1m',
            log: () => undefined,
          }),
      },
    ]
    for (const run of runs) {
      t.serve.server.requests.length = 0
      await run.run()
      for (const r of t.serve.server.requests) {
        if (r.resource === undefined) continue
        const allowing = grantsAllowing(grants, r)
        for (const g of allowing) used.add(g)
        requests.push({command: run.command, request: describeRequest(r), allowedBy: allowing.map(describeGrant)})
      }
    }
  }, 180_000)

  test('the bindings give the ServiceAccount its roles', () => {
    expect(grants.length).toBeGreaterThan(0)
    expect(new Set(grants.map((g) => g.scope))).toEqual(new Set(['cluster', NAMESPACE]))
  })

  test('every request the commands made is allowed', () => {
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.filter((r) => r.allowedBy.length === 0).map((r) => `${r.command}: ${r.request}`)).toEqual([])
  })

  test('every grant is used by some request (a StatefulSet grant by its Deployment twin)', () => {
    const usedNames = new Set([...used].map(describeGrant))
    const unused = grants
      .map(describeGrant)
      .filter((g) => !usedNames.has(g) && !usedNames.has(SAME_AS[g] ?? '') && NOT_ON_THE_TWIN[g] === undefined)
    expect(unused).toEqual([])
    // An exception the twin does exercise after all is stale: drop it.
    expect(Object.keys(NOT_ON_THE_TWIN).filter((g) => usedNames.has(g))).toEqual([])
    expect(Object.keys(NOT_ON_THE_TWIN).every((g) => grants.some((x) => describeGrant(x) === g))).toBe(true)
  })

  test('the rule matcher can fail: a request outside every grant is refused', () => {
    expect(grantsAllowing(grants, {verb: 'delete', group: '', resource: 'nodes', name: 'n1'})).toEqual([])
    expect(grantsAllowing(grants, {verb: 'get', group: '', resource: 'secrets', namespace: NAMESPACE})).toEqual([])
    // A namespaced grant does not reach another namespace.
    expect(grantsAllowing(grants, {verb: 'create', group: '', resource: 'configmaps', namespace: 'llm'})).toEqual([])
  })
})

/**
 * Every field of `value` is an attribute of the client-node model `type` (recursively), with a value of its type:
 * what kubectl's strict validation says about a manifest, without a server.
 */
function checkAgainstModel(value: unknown, type: string, at: string): string[] {
  if (value === null || value === undefined) return []
  const array = /^Array<(.+)>$/.exec(type)
  if (array) {
    if (!Array.isArray(value)) return [`${at}: expected a list, got ${typeof value}`]
    return value.flatMap((v, i) => checkAgainstModel(v, array[1] as string, `${at}[${i}]`))
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type)
  if (map) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected a map, got ${typeof value}`]
    return Object.entries(value).flatMap(([k, v]) => checkAgainstModel(v, map[1] as string, `${at}.${k}`))
  }
  if (type === 'string' || type === 'Date')
    return typeof value === 'string' ? [] : [`${at}: expected string, got ${typeof value}`]
  if (type === 'number') return typeof value === 'number' ? [] : [`${at}: expected number, got ${typeof value}`]
  if (type === 'boolean') return typeof value === 'boolean' ? [] : [`${at}: expected boolean, got ${typeof value}`]
  if (type === 'IntOrString')
    return typeof value === 'string' || typeof value === 'number' ? [] : [`${at}: expected int or string`]
  if (type === 'any' || type === 'object') return []
  const model = (k8s as unknown as Record<string, {getAttributeTypeMap?: () => Array<{baseName: string; type: string}>}>)[
    type
  ]
  if (!model?.getAttributeTypeMap) return [`${at}: no client-node model ${type}`]
  if (typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected an object, got ${typeof value}`]
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]))
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    const t = attributes.get(k)
    return t === undefined ? [`${at}.${k}: unknown field`] : checkAgainstModel(v, t, `${at}.${k}`)
  })
}
