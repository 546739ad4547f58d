/**
 * examples/deploy: the manifests that run `gpu-scale apply --watch` in a cluster.
 *
 * 1. They render (`kubectl kustomize`, offline) and every field of every object is one the Kubernetes API has, with
 *    the right type (checked against @kubernetes/client-node's models, as `kubectl --validate=strict` would against
 *    the OpenAPI; kubectl cannot validate without a server). The kinds the twin API server serves are created there
 *    with kubectl. The Deployment keeps its promises (2 replicas, non-root, read-only root, resources, /healthz on
 *    the --listen port) and the ConfigMap holds a config that validates.
 * 2. Least privilege: the commands that run in the cluster are run against the twin with that namespace, and the
 *    twin's request log is compared with rbac.yaml: every request is allowed, and every grant is used by some
 *    request. A grant only a command not in this build uses is listed in PENDING with that command; when the
 *    command exists, its run must use it.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as k8s from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {parseAllDocuments, stringify} from 'yaml'

import {parseConfig} from '../../src/core/config/load.js'
import {resourceByKind} from '../../src/core/kube-store/index.js'
import {defaultScenario, defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {cli, repoRoot} from '../helpers/cli.js'
import {kubectlPath} from '../helpers/kubectl.js'
import {describeGrant, describeRequest, type Grant, grantsAllowing, grantsOf} from '../helpers/rbac.js'
import {startTestTwin, type TestTwin} from '../helpers/twin.js'

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

  test('the ConfigMap holds a config gpu-scale validates without errors', () => {
    const text = byKind('ConfigMap')[0].data['gpu-scale.yaml'] as string
    const parsed = parseConfig(text, 'configmap.yaml#gpu-scale.yaml')
    expect(parsed.problems.filter((p) => p.severity === 'error')).toEqual([])
    expect(parsed.config?.models.length).toBeGreaterThan(0)
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
 * Grants that only a command this build does not have yet uses: `command` is its file under src/commands. When the
 * file exists the grant is no longer pending, and the RBAC test below must see it used.
 */
const PENDING: Array<{grant: string; command: string; why: string}> = [
  {grant: 'get core/configmaps (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'controller state and apply journal'},
  {grant: 'create core/configmaps (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'controller state and apply journal'},
  {grant: 'update core/configmaps (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'controller state and apply journal'},
  {grant: 'get coordination.k8s.io/leases (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'apply --watch leader election'},
  {grant: 'create coordination.k8s.io/leases (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'apply --watch leader election'},
  {grant: 'update coordination.k8s.io/leases (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'apply --watch leader election'},
  {grant: 'create core/pods (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'headroom placeholders'},
  {grant: 'delete core/pods (Role/gpu-scale/gpu-scale, gpu-scale)', command: 'apply', why: 'headroom placeholders'},
  {grant: 'get core/nodes (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 're-read before patching a node'},
  {grant: 'watch core/nodes (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'apply --watch follows the fleet'},
  {grant: 'patch core/nodes (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'cordon and the MIG label'},
  {grant: 'get core/pods (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'evictions wait for the pod to go'},
  {grant: 'watch core/pods (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'apply --watch follows the fleet'},
  {grant: 'create core/pods/eviction (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'drain before a MIG change'},
  {grant: 'list apps/deployments (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'apply re-reads workloads'},
  {grant: 'list apps/statefulsets (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'apply re-reads workloads'},
  {grant: 'get apps/deployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'patch apps/deployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'update apps/deployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'get apps/statefulsets/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'patch apps/statefulsets/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'update apps/statefulsets/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'replicas through the scale subresource'},
  {grant: 'patch autoscaling/horizontalpodautoscalers (ClusterRole/gpu-scale, cluster)', command: 'apply', why: '--hpa-mode drive'},
  {grant: 'patch keda.sh/scaledobjects (ClusterRole/gpu-scale, cluster)', command: 'apply', why: '--hpa-mode drive'},
  {grant: 'get cluster.x-k8s.io/machinedeployments (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'machine-deployment actuator'},
  {grant: 'patch cluster.x-k8s.io/machinedeployments (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'machine-deployment actuator'},
  {grant: 'get cluster.x-k8s.io/machinedeployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'machine-deployment actuator'},
  {grant: 'patch cluster.x-k8s.io/machinedeployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'machine-deployment actuator'},
  {grant: 'update cluster.x-k8s.io/machinedeployments/scale (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'machine-deployment actuator'},
  {grant: 'get scheduling.k8s.io/priorityclasses[gpu-scale-headroom] (ClusterRole/gpu-scale, cluster)', command: 'apply', why: 'headroom actuator'},
]

/**
 * gpu-scale reads and scales a StatefulSet through the same calls as a Deployment (the kind picks the path); the
 * twin's fleet has only Deployments, so a StatefulSet grant counts as used when its Deployment twin is.
 */
const SAME_AS: Record<string, string> = {
  'get apps/statefulsets (ClusterRole/gpu-scale, cluster)': 'get apps/deployments (ClusterRole/gpu-scale, cluster)',
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
    rmSync(dir, {recursive: true, force: true})
  })

  test('the bindings give the ServiceAccount its roles', () => {
    expect(grants.length).toBeGreaterThan(0)
    expect(new Set(grants.map((g) => g.scope))).toEqual(new Set(['cluster', NAMESPACE]))
  })

  test('every request the commands made is allowed', () => {
    expect(requests.length).toBeGreaterThan(0)
    expect(requests.filter((r) => r.allowedBy.length === 0).map((r) => `${r.command}: ${r.request}`)).toEqual([])
  })

  test('every grant is used by some request (or pending a command this build does not have)', () => {
    const pending = PENDING.filter((p) => !existsSync(join(repoRoot, 'src/commands', `${p.command}.ts`)))
    const usedNames = new Set([...used].map(describeGrant))
    const unused = grants
      .map(describeGrant)
      .filter((g) => !usedNames.has(g) && !usedNames.has(SAME_AS[g] ?? ''))
      .filter((g) => !pending.some((p) => p.grant === g))
    expect(unused).toEqual([])
    // A pending entry that is in fact used is stale: drop it from PENDING.
    expect(pending.filter((p) => usedNames.has(p.grant))).toEqual([])
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
