import {describe} from '../../cli/base-command.js'
import {ImportCommand, importArgs, importFlags} from '../../cli/import-command.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success: the config was printed'])

export default class ImportHpaCommand extends ImportCommand {
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

  static override args = importArgs('HorizontalPodAutoscaler')
  static override flags = importFlags('HPA')

  protected readonly kind = 'HorizontalPodAutoscaler'
}
