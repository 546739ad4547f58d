/** What `gpu-scale sim serve` reports once its API is ready: where to point kubectl, Prometheus and fault injection. */
export interface SimServeInfo {
  scenario: string
  /** Simulated seconds per wall-clock second (0: paused, stepped by tests). */
  speed: number
  api: string
  kubeconfig: string
  /** The Prometheus file_sd file listing one target per GPU node (dcgm-exporter) and per ready pod (vLLM). */
  metricsTargets: string
  /** Base URL of the exporter targets (`node/<name>`, `pod/<namespace>/<name>` below it). */
  metrics: string
  faults: string
}
