import {Args, Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../cli/base-command.js'
import {liveFlags} from '../../cli/flags.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'
import {importAutoscaler, type ImportResult} from '../../services/import.js'
import {renderImport} from '../../views/import.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success: the config was printed'])

export default class ImportScaledObjectCommand extends BaseCommand<typeof ImportScaledObjectCommand> {
  static override summary = 'Print the gpu-scale model config that scales like a KEDA ScaledObject.'

  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Reads the ScaledObject from the cluster (or -f FILE) and prints the model config, with `algorithm: hpa`, that ' +
      'decides as the HPA KEDA drives: prometheus triggers become signals on their query, cpu and memory triggers ' +
      'Resource signals, pollingInterval the loop interval, minReplicaCount 0 scale-to-zero after cooldownPeriod, and ' +
      'advanced.horizontalPodAutoscalerConfig.behavior the behavior. Triggers with no equivalent are named in a ' +
      'warning on stderr, never dropped silently.',
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> import scaledobject llama-8b -n llm',
    '<%= config.bin %> import scaledobject -f scaledobject.yaml -o json',
  ]

  static override args = {
    name: Args.string({description: 'The ScaledObject (optional with -f).', required: false}),
  }

  static override flags = {
    file: Flags.string({char: 'f', summary: 'Read the ScaledObject from this YAML or JSON file (- for stdin).'}),
    kubeconfig: liveFlags.kubeconfig,
    context: liveFlags.context,
    namespace: Flags.string({
      char: 'n',
      summary: "Namespace of the ScaledObject (default: the context's).",
      env: 'GPU_SCALE_NAMESPACE',
      helpGroup: 'CLUSTER',
    }),
  }

  async run(): Promise<ImportResult> {
    const result = await importAutoscaler({
      kind: 'ScaledObject',
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
