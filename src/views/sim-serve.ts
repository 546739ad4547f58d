/** What `sim serve` prints once the API is ready: where to point kubectl. */
import type {SimServeInfo} from '../core/model/sim-serve.js'

export function renderSimServe(info: SimServeInfo): string {
  return [
    `Kubernetes API  ${info.api}`,
    `kubeconfig      ${info.kubeconfig}`,
    `metrics targets ${info.metricsTargets}`,
    `exporters       ${info.metrics}node/<name>, ${info.metrics}pod/<namespace>/<name>`,
    `faults          POST ${info.faults}`,
    `scenario        ${info.scenario} at ${info.speed}× real time`,
    '',
    `Try: KUBECONFIG=${info.kubeconfig} kubectl get nodes -L nvidia.com/gpu.product`,
    'Ctrl-C stops the server.',
    '',
  ].join('\n')
}
