import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../../cli/base-command.js'
import {startSimServe, waitForShutdownSignal, type SimServeInfo} from '../../services/sim-serve.js'
import {renderSimServe} from '../../views/sim-serve.js'

export default class SimServeCommand extends BaseCommand<typeof SimServeCommand> {
  static override summary =
    'Serve the simulated GPU fleet as a Kubernetes API on 127.0.0.1, for kubectl and client-node.'

  static override description = describe(
    'Starts a Kubernetes API server (JSON, core/v1, apps/v1, policy/v1, coordination.k8s.io/v1, autoscaling/v2, ' +
      'keda.sh and cluster.x-k8s.io MachineDeployments) on 127.0.0.1 only, seeded with the built-in fleet: GPU ' +
      'nodes with GPU Feature Discovery labels and nvidia.com/gpu or nvidia.com/mig-<profile> capacity, model ' +
      'Deployments with their pods and PodDisruptionBudgets, and one MachineDeployment per node group. It writes a ' +
      'kubeconfig and prints where the API and the kubeconfig are once ready; Ctrl-C (SIGINT) or SIGTERM stops it.\n\n' +
      'The discrete-event twin runs behind it in real or accelerated time (--speed 60: a simulated minute per ' +
      'second): a MachineDeployment scale-up brings nodes after their cold start, pods pull, load and become Ready, ' +
      'nvidia.com/mig.config goes pending then success or failed. Exporters (dcgm-exporter per GPU node, vLLM per ' +
      'ready pod) are listed in a Prometheus file_sd targets file. Faults (409, 429 with Retry-After, 500, slow ' +
      'answers, dropped watches, metrics that vanish, freeze, read NaN or duplicate, a stuck MIG change, a spot ' +
      'interruption) are injected with POST <api>/_twin/faults.',
  )

  static override examples = [
    '<%= config.bin %> sim serve --kubeconfig-out twin.kubeconfig',
    'KUBECONFIG=twin.kubeconfig kubectl get nodes -L nvidia.com/gpu.product',
    '<%= config.bin %> sim serve --scenario burst --speed 60 --targets-out twin-targets.json',
    '<%= config.bin %> sim serve --port 6443 -o json',
  ]

  static override flags = {
    port: Flags.integer({
      summary: 'Port on 127.0.0.1 (0 picks a free one).',
      default: 0,
      min: 0,
      max: 65_535,
      env: 'GPU_SCALE_SIM_PORT',
    }),
    'kubeconfig-out': Flags.string({
      summary: 'Write the kubeconfig here (default: a file in the temp directory).',
      env: 'GPU_SCALE_SIM_KUBECONFIG_OUT',
    }),
    'targets-out': Flags.string({
      summary: 'Write the Prometheus file_sd targets here (default: next to the kubeconfig).',
    }),
    scenario: Flags.string({
      summary:
        'A scenario of examples/scenarios by name (burst, spot-storm, ...) or a scenario file (default: the built-in fleet).',
    }),
    speed: Flags.string({
      summary: 'Simulated seconds per wall second (60: a simulated minute per second).',
      default: '1',
    }),
  }

  async run(): Promise<SimServeInfo> {
    const speed = Number(this.flags.speed)
    const handle = await startSimServe({
      port: this.flags.port,
      kubeconfigOut: this.flags['kubeconfig-out'],
      targetsOut: this.flags['targets-out'],
      scenario: this.flags.scenario,
      speed,
    })
    this.output(handle.info, (info) => renderSimServe(info))
    const signal = await waitForShutdownSignal()
    this.info(`${signal}: stopping the twin API server`)
    await handle.close()
    return handle.info
  }
}
