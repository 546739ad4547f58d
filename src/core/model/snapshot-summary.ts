/** What `gpu-scale snapshot` reports: where the snapshot went and what it holds (the snapshot itself is the file). */
export interface SnapshotSummary {
  savedTo: string
  source: string
  capturedAt: string
  counts: {
    nodeGroups: number
    nodes: number
    pods: number
    workloads: number
    pdbs: number
    series: number
    samples: number
  }
  /** Workloads another autoscaler owns (`apply` will refuse them). */
  managedBy: Array<{workload: string; owner: string}>
  diagnostics: Array<{severity: string}>
}
