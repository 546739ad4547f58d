/**
 * What a live reader noticed and could not put into the snapshot itself: an API not installed, an autoscaler that
 * owns a workload, a telemetry query that answered nothing usable. Printed on stderr and returned in `snapshot`'s
 * result, so a person sees why a plan holds back; codes are PascalCase and stable.
 */
export interface LiveDiagnostic {
  severity: 'info' | 'warning' | 'error'
  code: string
  message: string
}
