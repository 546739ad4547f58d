import {describe} from '../../cli/base-command.js'
import {ImportCommand, importArgs, importFlags} from '../../cli/import-command.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success: the config was printed'])

export default class ImportScaledObjectCommand extends ImportCommand {
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

  static override args = importArgs('ScaledObject')
  static override flags = importFlags('ScaledObject')

  protected readonly kind = 'ScaledObject'
}
