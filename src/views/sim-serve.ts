/** What `sim serve` prints once the API is ready: where to point kubectl. */

/** The addresses `sim serve` reports (the service's SimServeInfo fits it; views do not import services). */
export interface SimServeInfo {
  scenario: string
  api: string
  kubeconfig: string
  metrics: string
  faults: string
}

export function renderSimServe(info: SimServeInfo): string {
  return [
    `Kubernetes API  ${info.api}`,
    `kubeconfig      ${info.kubeconfig}`,
    `metrics         ${info.metrics}`,
    `faults          POST ${info.faults}`,
    `scenario        ${info.scenario}`,
    '',
    `Try: KUBECONFIG=${info.kubeconfig} kubectl get nodes -L nvidia.com/gpu.product`,
    'Ctrl-C stops the server.',
    '',
  ].join('\n')
}
