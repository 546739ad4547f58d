/**
 * Discovery documents, built from the served resource table. kubectl 1.32 asks `/api` and `/apis` for
 * aggregated discovery (apidiscovery.k8s.io/v2) and, given it, makes no other discovery call; given the legacy
 * shapes it fetches every listed group version's APIResourceList. Drain reads `/api/v1` uncached either way to
 * find `pods/eviction` (kubectl pkg/drain/drain.go CheckEvictionSupport). Subresources carry their own response
 * kinds, without which client-go drops them (client-go discovery/aggregated_discovery.go). See facts §1.
 */
import {
  RESOURCE_TYPES,
  groupVersionOf,
  servedGroupVersions,
  verbsOf,
  type ResourceType,
} from '../../core/kube-store/index.js'

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

/** Whether an Accept header asks for aggregated discovery v2 (kubectl lists it first, with v2beta1 and plain JSON after). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some(
      (part) =>
        /g=apidiscovery\.k8s\.io/.test(part) && /v=v2(;|$|\s)/.test(part) && /as=APIGroupDiscoveryList/.test(part),
    )
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T17:58:04Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
}

interface Subresource {
  name: 'status' | 'scale' | 'eviction'
  kind: {group: string; version: string; kind: string}
  verbs: string[]
}

function subresourcesOf(r: ResourceType): Subresource[] {
  return r.subresources.map((name) => {
    if (name === 'scale')
      return {name, kind: {group: 'autoscaling', version: 'v1', kind: 'Scale'}, verbs: ['get', 'patch', 'update']}
    if (name === 'eviction') return {name, kind: {group: 'policy', version: 'v1', kind: 'Eviction'}, verbs: ['create']}
    return {name, kind: {group: r.group, version: r.version, kind: r.kind}, verbs: ['get', 'patch', 'update']}
  })
}

export function legacyApiVersions(serverAddress: string): object {
  return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress}]}
}

function groupsOf(): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const {group, version} of servedGroupVersions()) {
    if (group === '') continue
    groups.set(group, [...(groups.get(group) ?? []), version])
  }
  return groups
}

export function apiGroup(group: string): object | undefined {
  const versions = groupsOf().get(group)
  if (!versions) return undefined
  const list = versions.map((version) => ({groupVersion: `${group}/${version}`, version}))
  return {kind: 'APIGroup', apiVersion: 'v1', name: group, versions: list, preferredVersion: list[0]}
}

export function legacyApiGroupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groupsOf().keys()].map((g) => {
      const {kind: _k, apiVersion: _a, ...rest} = apiGroup(g) as Record<string, unknown>
      return rest
    }),
  }
}

/** The APIResourceList of one group version, or undefined when it is not served. */
export function apiResourceList(group: string, version: string): object | undefined {
  const resources = RESOURCE_TYPES.filter((r) => r.group === group && r.version === version)
  if (resources.length === 0) return undefined
  const entries: object[] = []
  for (const r of resources) {
    entries.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length > 0 ? {shortNames: r.shortNames} : {}),
      ...(r.categories ? {categories: r.categories} : {}),
    })
    for (const s of subresourcesOf(r)) {
      entries.push({
        name: `${r.plural}/${s.name}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.kind.group !== r.group || s.kind.version !== r.version
          ? {group: s.kind.group, version: s.kind.version}
          : {}),
        kind: s.kind.kind,
        verbs: s.verbs,
      })
    }
  }
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersionOf({group, version}), resources: entries}
}

function discoveryResource(r: ResourceType): object {
  return {
    resource: r.plural,
    singularResource: r.singular,
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    responseKind: {group: r.group, version: r.version, kind: r.kind},
    verbs: verbsOf(r),
    ...(r.shortNames.length > 0 ? {shortNames: r.shortNames} : {}),
    ...(r.categories ? {categories: r.categories} : {}),
    ...(r.subresources.length > 0
      ? {subresources: subresourcesOf(r).map((s) => ({subresource: s.name, responseKind: s.kind, verbs: s.verbs}))}
      : {}),
  }
}

/** `/api` (core only) or `/apis` (every other group) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(which: 'core' | 'groups'): object {
  const items: object[] = []
  const groups = new Map<string, string[]>()
  for (const {group, version} of servedGroupVersions()) {
    if ((group === '') !== (which === 'core')) continue
    groups.set(group, [...(groups.get(group) ?? []), version])
  }
  for (const [group, versions] of groups) {
    items.push({
      metadata: {name: group},
      versions: versions.map((version) => ({
        version,
        freshness: 'Current',
        resources: RESOURCE_TYPES.filter((r) => r.group === group && r.version === version).map(discoveryResource),
      })),
    })
  }
  return {kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items}
}
