import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../cli/base-command.js'
import {liveFlags} from '../../cli/flags.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'
import {importAutoscaler, type ImportResult} from '../../services/import.js'
import {renderImport} from '../../views/import.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success: the config was printed'])

export default class ImportHpaCommand extends BaseCommand<typeof ImportHpaCommand> {
  static override summary = 'Print the gpu-scale model config that scales like a HorizontalPodAutoscaler.'

  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Reads the HPA from the cluster (or -f FILE) and prints the model config, with `algorithm: hpa`, whose decisions ' +
      "are the HPA's: Resource and ContainerResource (cpu, memory) with the controller's CPU readiness rules, Pods, " +
      'Object and External metrics, and behavior (stabilization, policies, selectPolicy) field for field; an HPA without ' +
      'behavior gets `legacyHpaBehavior: true`. From the cluster, the GPUs one replica requests come from the workload ' +
      'it scales. What has no equivalent is named in a warning on stderr.',
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> import hpa llama-8b -n llm >> models.yaml',
    '<%= config.bin %> import hpa -f hpa.yaml',
    'kubectl get hpa llama-8b -o yaml | <%= config.bin %> import hpa -f -',
  ]

  static override args = {
    name: Args.string({description: 'The HorizontalPodAutoscaler (optional with -f).', required: false}),
  }

  static override flags = {
    file: Flags.string({char: 'f', summary: 'Read the HPA from this YAML or JSON file (- for stdin).'}),
    kubeconfig: liveFlags.kubeconfig,
    context: liveFlags.context,
    namespace: Flags.string({
      char: 'n',
      summary: "Namespace of the HPA (default: the context's).",
      env: 'GPU_SCALE_NAMESPACE',
      helpGroup: 'CLUSTER',
    }),
  }

  async run(): Promise<ImportResult> {
    const result = await importAutoscaler({
      kind: 'HorizontalPodAutoscaler',
      ...(this.args.name ? {name: this.args.name} : {}),
      ...(this.flags.file ? {file: this.flags.file} : {}),
      ...(this.flags.kubeconfig ? {kubeconfig: this.flags.kubeconfig} : {}),
      ...(this.flags.context ? {context: this.flags.context} : {}),
      ...(this.flags.namespace ? {namespace: this.flags.namespace} : {}),
    })
    this.reportProblems(
      [],
      result.warnings.map((w) => ({severity: 'warning', ...w})),
    )
    this.output(result, renderImport)
    return result
  }
}
