/**
 * The base of the `import` commands: they differ only in the autoscaler kind they read and the words of their help,
 * so the flags, the arguments and the run (read, warn on stderr, print) live here once.
 */
import {Args, Flags} from '@oclif/core'

import type {AutoscalerKind} from '../core/import/parse.js'
import {importAutoscaler, type ImportResult} from '../services/import.js'
import {renderImport} from '../views/import.js'
import {BaseCommand} from './base-command.js'
import {liveFlags} from './flags.js'

/** The NAME argument, worded for the kind (`what` as the user knows it, e.g. HorizontalPodAutoscaler). */
export function importArgs(what: string) {
  return {name: Args.string({description: `The ${what} (optional with -f).`, required: false})}
}

/** -f FILE and the cluster flags, worded for the kind (`what` as the user knows it, e.g. HPA). */
export function importFlags(what: string) {
  return {
    file: Flags.string({char: 'f', summary: `Read the ${what} from this YAML or JSON file (- for stdin).`}),
    kubeconfig: liveFlags.kubeconfig,
    context: liveFlags.context,
    namespace: Flags.string({
      char: 'n',
      summary: `Namespace of the ${what} (default: the context's).`,
      env: 'GPU_SCALE_NAMESPACE',
      helpGroup: 'CLUSTER',
    }),
  }
}

export abstract class ImportCommand extends BaseCommand<typeof ImportCommand> {
  static override args = importArgs('autoscaler')
  static override flags = importFlags('autoscaler')

  /** The kind this command reads and translates. */
  protected abstract readonly kind: AutoscalerKind

  async run(): Promise<ImportResult> {
    const result = await importAutoscaler({
      kind: this.kind,
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
