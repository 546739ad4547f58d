import type {AnalysisResult} from '../core/analyze/analyze-cluster.js'
import {analyzeInputs} from '../services/analyze.js'
import {renderAnalysis} from '../views/analyze.js'
import {BaseCommand, describe} from '../cli/base-command.js'
import {clusterInputFlags, toLiveRequest} from '../cli/flags.js'

export default class AnalyzeCommand extends BaseCommand<typeof AnalyzeCommand> {
  static override summary =
    'Explain what limits each model and GPU (compute, memory bandwidth, PCIe, CPU, KV cache) and which signal to scale on.'

  static override description = describe(
    `Reads GPU (DCGM) and model-server (vLLM, Triton, TGI) telemetry from the live cluster and Prometheus
(--kubeconfig/--context, --prometheus), a cluster snapshot (--snapshot) or the built-in simulated cluster (--sim) and classifies every model and GPU: compute bound, memory-bandwidth bound,
PCIe/transfer bound, CPU/preprocessing bound, KV-cache (memory-capacity) bound, underutilized or healthy,
with the evidence values. "Why is this model slow although its GPUs look idle?" is answered here.`,
  )

  static override examples = [
    '<%= config.bin %> analyze --sim',
    '<%= config.bin %> analyze --sim --scenario memory-bound --at 30m',
    '<%= config.bin %> analyze -c gpu-scale.yaml --snapshot snapshot.json -o json',
    '<%= config.bin %> analyze -c gpu-scale.yaml --context prod --prometheus http://prometheus.monitoring:9090',
  ]

  static override flags = {
    ...clusterInputFlags,
  }

  async run(): Promise<AnalysisResult> {
    const {result, warnings, diagnostics} = await analyzeInputs({...this.flags, ...toLiveRequest(this.flags)})
    this.reportProblems(warnings, diagnostics)
    this.output(result, (r, color) => renderAnalysis(r, {color}))
    return result
  }
}
