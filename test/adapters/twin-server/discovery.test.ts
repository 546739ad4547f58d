/**
 * Discovery and Table shapes that fail silently when wrong (facts §1): kubectl drops aggregated entries without a
 * responseKind, drain needs pods/eviction in the legacy /api/v1 list, and human `get` needs the Table negotiated.
 */
import {describe, expect, test} from 'vitest'

import {
  aggregatedDiscovery,
  apiResourceList,
  wantsAggregatedDiscovery,
} from '../../../src/adapters/twin-server/discovery.js'
import {humanAge, wantsTable} from '../../../src/adapters/twin-server/table.js'

const KUBECTL_DISCOVERY_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'
const KUBECTL_GET_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'

describe('content negotiation', () => {
  test.each([
    {accept: KUBECTL_DISCOVERY_ACCEPT, aggregated: true, table: false, who: 'kubectl 1.32 discovery'},
    {
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
      aggregated: false,
      table: false,
      who: 'v2beta1 only (not served)',
    },
    {accept: KUBECTL_GET_ACCEPT, aggregated: false, table: true, who: 'kubectl get, human output'},
    {accept: 'application/json, */*;q=0.8', aggregated: false, table: false, who: 'client-node'},
    {accept: undefined, aggregated: false, table: false, who: 'no Accept header'},
  ])('$who', ({accept, aggregated, table}) => {
    expect(wantsAggregatedDiscovery(accept)).toBe(aggregated)
    expect(wantsTable(accept)).toBe(table)
  })
})

describe('discovery documents', () => {
  test('every aggregated resource and subresource has a responseKind; scale and eviction name theirs', () => {
    const doc = aggregatedDiscovery('groups') as {
      items: Array<{
        metadata: {name: string}
        versions: Array<{
          resources: Array<{
            resource: string
            responseKind?: object
            subresources?: Array<{subresource: string; responseKind?: object}>
          }>
        }>
      }>
    }
    const all = [...(aggregatedDiscovery('core') as typeof doc).items, ...doc.items].flatMap((g) =>
      g.versions.flatMap((v) => v.resources),
    )
    for (const r of all) {
      expect(r.responseKind, r.resource).toBeDefined()
      for (const s of r.subresources ?? []) expect(s.responseKind, `${r.resource}/${s.subresource}`).toBeDefined()
    }
    const deployments = all.find((r) => r.resource === 'deployments')
    expect(deployments?.subresources?.find((s) => s.subresource === 'scale')?.responseKind).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    })
    expect(doc.items.map((g) => g.metadata.name).sort()).toEqual([
      'apps',
      'autoscaling',
      'cluster.x-k8s.io',
      'coordination.k8s.io',
      'keda.sh',
      'policy',
      'scheduling.k8s.io',
    ])
  })

  test('the legacy /api/v1 list has the entry drain looks for', () => {
    const list = apiResourceList('', 'v1') as {resources: Array<{name: string}>}
    expect(list.resources).toContainEqual({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    })
    expect(apiResourceList('apps', 'v2')).toBeUndefined()
  })
})

describe('ages as the apiserver prints them (HumanDuration)', () => {
  const now = Date.parse('2026-11-29T12:00:00Z')
  test.each([
    {ago: 45, want: '45s'},
    {ago: 3 * 60 + 12, want: '3m12s'},
    {ago: 25 * 60, want: '25m'},
    {ago: 5 * 3600 + 3 * 60, want: '5h3m'},
    {ago: 30 * 3600, want: '30h'},
    {ago: 3 * 86400 + 4 * 3600, want: '3d4h'},
    {ago: 12 * 86400, want: '12d'},
  ])('$ago s ago → $want', ({ago, want}) => {
    expect(humanAge(new Date(now - ago * 1000).toISOString(), now)).toBe(want)
  })
})
