import {Flags} from '@oclif/core'

import type {ValidationReport} from '../core/config/report.js'
import {EXIT, exitCodes} from '../core/exit-codes.js'
import {validateConfigFile} from '../services/validate.js'
import {renderValidation, summarizeValidation} from '../views/validate.js'
import {BaseCommand, describe} from '../cli/base-command.js'

const EXIT_CODES = exitCodes(
  [EXIT.ok, 'the config is valid'],
  [EXIT.error, 'the config has errors, or cannot be read'],
  [EXIT.gateFailed, '--strict: the config has warnings'],
)

export default class Validate extends BaseCommand<typeof Validate> {
  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Check a gpu-scale.yaml policy config: YAML syntax, the schema (unknown fields, types, durations), and whether it can work: a model no node group can run, max replicas beyond node-group capacity, a health-check grace shorter than the weight load, a scale-down stabilization shorter than node cold start. Prints every problem as file:line:col field: severity: message [Code]; exit 1 on errors, 3 with --strict on warnings.',
    EXIT_CODES,
  )
  static override examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate -c examples/seed-production.yaml',
    '<%= config.bin %> validate -c gpu-scale.yaml --strict -o json',
  ]
  static override flags = {
    config: Flags.string({
      char: 'c',
      summary: 'Policy config file.',
      default: './gpu-scale.yaml',
      env: 'GPU_SCALE_CONFIG',
      helpValue: 'FILE',
    }),
    strict: Flags.boolean({summary: 'Fail (exit 3) on warnings too.', env: 'GPU_SCALE_STRICT'}),
  }

  async run(): Promise<ValidationReport> {
    const report = await validateConfigFile(this.flags.config)
    this.output(report, renderValidation)
    this.info(summarizeValidation(report, this.flags.strict))
    if (!report.valid) this.exitWith(EXIT.error)
    if (this.flags.strict && report.warnings > 0) this.exitWith(EXIT.gateFailed)
    return report
  }
}
