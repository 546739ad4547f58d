/**
 * `gpu-scale import hpa|scaledobject`: an autoscaler from the cluster (or a file) → the gpu-scale model config that
 * decides as it does. From the cluster, the workload it scales is read too, for the GPUs one replica requests.
 */
import {connectCluster, type ClusterConnectionFlags} from '../adapters/kubernetes/connection.js'
import {gpuRequestOf} from '../adapters/kubernetes/map-snapshot.js'
import {readAutoscaler, readWorkload} from '../adapters/kubernetes/read-autoscaler.js'
import {readInputFile} from '../adapters/read-input.js'
import {UserError} from '../core/errors.js'
import {type AutoscalerKind, parseAutoscaler, translateAutoscaler} from '../core/import/parse.js'
import type {GpuNeedDocument, ImportResult, ImportWarning} from '../core/import/translate.js'

export type {ImportResult} from '../core/import/translate.js'

export interface ImportRequest extends ClusterConnectionFlags {
  kind: AutoscalerKind
  /** The object's name; with `file`, optional (when given, it must match). */
  name?: string
  /** Read the object from this YAML/JSON file (`-` for stdin) instead of the cluster. */
  file?: string
}

export async function importAutoscaler(request: ImportRequest): Promise<ImportResult> {
  const {kind} = request
  let parsed: ReturnType<typeof parseAutoscaler>
  let gpu: GpuNeedDocument | undefined
  const warnings: ImportWarning[] = []
  if (request.file) {
    const text = await readInputFile(request.file, {
      what: `${kind} file`,
      hint: `pass a ${kind} manifest (kubectl get ${kind === 'ScaledObject' ? 'scaledobject' : 'hpa'} NAME -o yaml > file.yaml)`,
    })
    parsed = parseAutoscaler(text, request.file === '-' ? '<stdin>' : request.file, kind)
  } else {
    if (!request.name)
      throw new UserError(`which ${kind}? pass its NAME (from the cluster) or -f FILE`, {
        hint: `gpu-scale import ${kind === 'ScaledObject' ? 'scaledobject' : 'hpa'} NAME -n NAMESPACE`,
      })
    const connection = await connectCluster(request)
    const fetched = await readAutoscaler(connection, kind, connection.namespace, request.name)
    // The API's answer goes through the same reader as a file, so its problems are located the same way.
    parsed = parseAutoscaler(JSON.stringify(fetched.object, null, 2), fetched.url, kind)
    gpu = await readGpuNeed(connection, parsed.namespace, parsed.target, warnings)
  }
  if (request.name && request.file && parsed.name !== request.name)
    throw new UserError(`${parsed.file} holds ${kind} ${parsed.name}, not ${request.name}`, {
      hint: 'drop NAME or pass the file of that object',
    })
  const translation = translateAutoscaler(parsed, gpu)
  return {
    source: {kind, namespace: parsed.namespace, name: parsed.name, from: parsed.file},
    config: translation.config,
    warnings: [...warnings, ...translation.warnings],
  }
}

/** What one replica requests, from the workload's pod template: whole GPUs or one MIG profile. */
async function readGpuNeed(
  connection: Awaited<ReturnType<typeof connectCluster>>,
  namespace: string,
  target: {kind: string; name: string},
  warnings: ImportWarning[],
): Promise<GpuNeedDocument | undefined> {
  if (target.kind !== 'Deployment' && target.kind !== 'StatefulSet') return undefined
  const workload = (await readWorkload(connection, target.kind, namespace, target.name)) as
    {spec?: {template?: {spec?: {containers?: []}}}} | undefined
  if (!workload) {
    warnings.push({
      code: 'WorkloadNotFound',
      message: `${target.kind} ${namespace}/${target.name} does not exist, so its GPU request is unknown`,
    })
    return undefined
  }
  const request = gpuRequestOf(workload.spec?.template?.spec?.containers ?? [])
  if (!request) return undefined
  const mig = /^nvidia\.com\/mig-(.+)$/.exec(request.resource)
  return mig ? {migProfile: mig[1] as string} : {count: request.count}
}
