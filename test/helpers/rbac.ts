/**
 * Kubernetes RBAC, as the API server's authorizer decides it, for checking shipped manifests against the requests a
 * command made (the twin's request log): which rules a ServiceAccount gets from which bindings, whether a request is
 * allowed, and which rule (and verb) allowed it.
 *
 * The rules of k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac (rbac.go, RuleAllows): a rule matches when its
 * apiGroups, resources (`resource` or `resource/subresource`; `*` matches all) and verbs contain the request's, and
 * its resourceNames (when set) contain the object's name. A ClusterRole bound by a ClusterRoleBinding applies in
 * every namespace and to cluster-scoped objects; any role bound by a RoleBinding applies in that namespace only.
 */
export interface PolicyRule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
  resourceNames?: string[]
}

interface KubeDoc {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string}
  rules?: PolicyRule[]
  roleRef?: {kind: string; name: string}
  subjects?: Array<{kind: string; name: string; namespace?: string}>
}

/** One (apiGroup, resource, verb) a rule grants, where: the unit of least privilege. */
export interface Grant {
  role: string
  /** `cluster` for a ClusterRoleBinding, else the RoleBinding's namespace. */
  scope: string
  apiGroup: string
  resource: string
  verb: string
  resourceNames?: string[]
}

export interface ApiRequest {
  verb: string
  group?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  path?: string
}

/** Every grant the ServiceAccount `namespace/name` gets from the documents' roles and bindings. */
export function grantsOf(docs: readonly KubeDoc[], account: {namespace: string; name: string}): Grant[] {
  const roles = new Map<string, PolicyRule[]>()
  for (const d of docs) {
    if (d.kind === 'ClusterRole') roles.set(`ClusterRole/${d.metadata?.name}`, d.rules ?? [])
    if (d.kind === 'Role') roles.set(`Role/${d.metadata?.namespace}/${d.metadata?.name}`, d.rules ?? [])
  }
  const grants: Grant[] = []
  for (const d of docs) {
    if (d.kind !== 'ClusterRoleBinding' && d.kind !== 'RoleBinding') continue
    const bound = (d.subjects ?? []).some(
      (s) => s.kind === 'ServiceAccount' && s.name === account.name && s.namespace === account.namespace,
    )
    if (!bound || !d.roleRef) continue
    const scope = d.kind === 'ClusterRoleBinding' ? 'cluster' : (d.metadata?.namespace ?? '')
    const key =
      d.roleRef.kind === 'ClusterRole'
        ? `ClusterRole/${d.roleRef.name}`
        : `Role/${d.metadata?.namespace}/${d.roleRef.name}`
    const rules = roles.get(key)
    if (!rules) throw new Error(`${d.kind} ${d.metadata?.name} refers to ${key}, which is not in the manifests`)
    for (const rule of rules)
      for (const apiGroup of rule.apiGroups ?? [''])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs)
            grants.push({
              role: key,
              scope,
              apiGroup,
              resource,
              verb,
              ...(rule.resourceNames ? {resourceNames: rule.resourceNames} : {}),
            })
  }
  return grants
}

/** The grants that allow `request` (none: forbidden). */
export function grantsAllowing(grants: readonly Grant[], request: ApiRequest): Grant[] {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : (request.resource ?? '')
  return grants.filter(
    (g) =>
      (g.scope === 'cluster' || g.scope === request.namespace) &&
      (g.apiGroup === '*' || g.apiGroup === (request.group ?? '')) &&
      (g.resource === '*' || g.resource === resource) &&
      (g.verb === '*' || g.verb === request.verb) &&
      (g.resourceNames === undefined || (request.name !== undefined && g.resourceNames.includes(request.name))),
  )
}

export function describeGrant(g: Grant): string {
  return `${g.verb} ${g.apiGroup === '' ? 'core' : g.apiGroup}/${g.resource}${g.resourceNames ? `[${g.resourceNames.join(',')}]` : ''} (${g.role}, ${g.scope})`
}

export function describeRequest(r: ApiRequest): string {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource
  return `${r.verb} ${r.group === '' || r.group === undefined ? 'core' : r.group}/${resource}${r.namespace ? ` in ${r.namespace}` : ''}${r.name ? ` ${r.name}` : ''}`
}
