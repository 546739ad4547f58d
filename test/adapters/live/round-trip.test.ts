/**
 * The live path end to end: the twin's API server read through client-node and a real Prometheus through its HTTP
 * API. `snapshot` then `plan --snapshot` gives the live `plan`; an HPA or ScaledObject on a configured workload is
 * reported; the CLI names the URL it could not reach.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {parseSnapshot} from '../../../src/core/snapshot/parse.js'
import {analyzeInputs} from '../../../src/services/analyze.js'
import {createPlan} from '../../../src/services/plan.js'
import {captureSnapshot} from '../../../src/services/snapshot.js'
import {cli} from '../../helpers/cli.js'
import {settledInstant, startLiveFleet, type LiveFleet} from './fleet.js'

let fleet: LiveFleet

beforeAll(async () => {
  fleet = await startLiveFleet()
}, 60_000)

afterAll(async () => {
  await fleet?.close()
})

const live = () => ({config: fleet.config, kubeconfig: fleet.twin.kubeconfig, prometheus: fleet.prometheus.url})

describe('snapshot then plan --snapshot equals a live plan', () => {
  test("the same instant gives the same plan, byte for byte but the input fingerprint and the capture's diagnostics", async () => {
    const at = settledInstant()
    const out = join(fleet.dir, 'live.json')
    const captured = await captureSnapshot({...live(), out, clock: () => at})
    expect(captured.counts).toMatchObject({nodes: 12, workloads: 4, pdbs: 4})
    expect(captured.counts.series, JSON.stringify(captured.diagnostics.slice(0, 5))).toBeGreaterThan(10)
    const fromLive = await createPlan({...live(), clock: () => at})
    const fromFile = await createPlan({config: fleet.config, snapshot: out})
    expect(fromFile.plan.inputFingerprint).toBeDefined()
    const {inputFingerprint: _, ...offline} = fromFile.plan
    // A live plan carries what its capture noticed (here: no controller state ConfigMap); `snapshot` printed those
    // when it captured, and the file holds the cluster, not the notes, so the plan from the file has only its own.
    const captureCodes = captured.diagnostics.map((d) => d.code)
    expect(captureCodes).toContain('NoControllerState')
    expect(fromLive.plan.diagnostics.slice(0, captured.diagnostics.length)).toEqual(captured.diagnostics)
    expect(offline).toEqual({
      ...fromLive.plan,
      diagnostics: fromLive.plan.diagnostics.slice(captured.diagnostics.length),
    })
    // The plan has work in every layer, so equality is not two empty plans agreeing.
    expect(new Set(fromLive.plan.changes.map((c) => c.layer))).toEqual(new Set(['pod', 'node', 'gpu']))
  })

  test('analyze reads the live cluster the same way', async () => {
    const at = settledInstant()
    const out = join(fleet.dir, 'analyze.json')
    await captureSnapshot({...live(), out, clock: () => at})
    const fromLive = await analyzeInputs({...live(), clock: () => at})
    const fromFile = await analyzeInputs({config: fleet.config, snapshot: out})
    expect(fromFile.result).toEqual(fromLive.result)
    expect(fromLive.diagnostics.map((d) => d.code)).toContain('NoControllerState')
  })

  test('the snapshot file holds no Secret, environment value or token', async () => {
    const tokenFile = join(fleet.dir, 'token')
    writeFileSync(tokenFile, 'sekret-token-123\n')
    const out = join(fleet.dir, 'no-secrets.json')
    await captureSnapshot({...live(), prometheusTokenFile: tokenFile, out})
    const text = readFileSync(out, 'utf8')
    expect(text).not.toContain('sekret-token-123')
    expect(text).not.toMatch(/"env"|"containers"|"volumes"|kind"\s*:\s*"Secret"/)
    // And it is a valid ClusterSnapshot, as `plan --snapshot` reads it.
    expect(parseSnapshot(text, out).pods.length).toBeGreaterThan(0)
  })

  test('gpu-scale snapshot --out, then plan --snapshot -o json, through the CLI', async () => {
    const out = join(fleet.dir, 'cli.yaml')
    const snap = await cli([
      'snapshot',
      '-c',
      fleet.config,
      '--kubeconfig',
      fleet.twin.kubeconfig,
      '--prometheus',
      fleet.prometheus.url,
      '--out',
      out,
      '-o',
      'json',
    ])
    expect(snap.exitCode, snap.stderr).toBe(0)
    expect(JSON.parse(snap.stdout)).toMatchObject({savedTo: out, counts: {nodes: 12}})
    expect(snap.stderr).toContain('[NoControllerState]')
    const plan = await cli(['plan', '-c', fleet.config, '--snapshot', out, '-o', 'json'])
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(JSON.parse(plan.stdout).changes.length).toBeGreaterThan(0)
  })
})

describe('another autoscaler on a configured workload', () => {
  test.each([
    {
      why: 'an HPA targeting the Deployment',
      object: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: {name: 'whisper', namespace: 'llm'},
        spec: {
          scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'whisper-small'},
          minReplicas: 1,
          maxReplicas: 4,
        },
      },
      owner: 'HorizontalPodAutoscaler/whisper',
    },
    {
      why: 'a KEDA ScaledObject (named rather than the HPA KEDA makes)',
      object: {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: {name: 'llama', namespace: 'llm'},
        spec: {
          scaleTargetRef: {name: 'llama-8b'},
          triggers: [{type: 'prometheus', metadata: {query: 'x', threshold: '1'}}],
        },
      },
      owner: 'ScaledObject/llama',
    },
  ])('$why shows up as the workload owner and a diagnostic', async ({object, owner}) => {
    fleet.twin.cluster.api.upsertObject(object as never)
    const out = join(fleet.dir, `owned-${object.kind}.json`)
    const outcome = await captureSnapshot({config: fleet.config, kubeconfig: fleet.twin.kubeconfig, out})
    const workload = `Deployment/llm/${object.spec.scaleTargetRef.name}`
    expect(outcome.managedBy).toContainEqual({workload, owner})
    expect(outcome.diagnostics).toContainEqual(
      expect.objectContaining({code: 'OwnedByAutoscaler', message: expect.stringContaining(owner)}),
    )
    const saved = parseSnapshot(readFileSync(out, 'utf8'), out)
    expect(saved.workloads.find((w) => w.name === object.spec.scaleTargetRef.name)?.managedBy).toBe(owner)
  })
})

describe('a cluster that cannot be read: exit 1, one line naming where', () => {
  test.each([
    {
      why: 'a kubeconfig that does not exist',
      kubeconfig: () => join(fleet.dir, 'missing.kubeconfig'),
      message: /^error: cannot read the kubeconfig .*missing\.kubeconfig/m,
    },
    {
      why: 'an API server nobody listens on',
      kubeconfig: () => writeKubeconfig('http://127.0.0.1:9'),
      message:
        /^error: cannot reach the Kubernetes API at http:\/\/127\.0\.0\.1:9\/api\/v1\/(nodes|pods): ECONNREFUSED/m,
    },
    {
      why: 'a context the kubeconfig lacks',
      kubeconfig: () => fleet.twin.kubeconfig,
      extra: ['--context', 'prod'],
      message: /^error: context prod is not in kubeconfig/m,
    },
  ])('$why', async ({kubeconfig, message, extra}) => {
    const result = await cli(['plan', '-c', fleet.config, '--kubeconfig', kubeconfig(), ...(extra ?? [])])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /) // no stack trace
  })

  test('an API error names the URL and the Status message (client-node gives the body as a string)', async () => {
    await fetch(`${fleet.twin.server.url}/_twin/faults`, {
      method: 'POST',
      body: JSON.stringify({type: 'status', code: 500, count: 1, match: {path: '/api/v1/nodes'}}),
    })
    const result = await cli([
      'snapshot',
      '-c',
      fleet.config,
      '--kubeconfig',
      fleet.twin.kubeconfig,
      '--out',
      join(fleet.dir, 'x.json'),
    ])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^error: GET ${fleet.twin.server.url}/api/v1/nodes failed: HTTP 500`, 'm'))
  })
})

function writeKubeconfig(server: string): string {
  const path = join(fleet.dir, 'unreachable.kubeconfig')
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  )
  return path
}
