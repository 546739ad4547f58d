import {Args, Flags} from '@oclif/core'

import {describe, BaseCommand} from '../../cli/base-command.js'
import {readMigPartedFile} from '../../adapters/mig-parted-file.js'
import {UserError, ValidationError} from '../../core/errors.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'
import {checkInstances, checkMigPartedConfig, parseInstanceRequest, UnknownProfileError, type CheckResult, type MigPartedCheckResult, requireMigModel} from '../../core/mig/index.js'
import {renderMigCheck, renderMigPartedCheck} from '../../views/mig.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'every layout is valid'], [EXIT.gateFailed, 'a layout or config entry is invalid'])

export default class MigCheck extends BaseCommand<typeof MigCheck> {
  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Check MIG layouts. With PROFILE[@START] arguments: can these instances coexist on one GPU? Prints a concrete placement when they can and the precise reason when not (exit 3). With --config: validate every entry of a mig-parted config file against the GPU models it applies to.',
    EXIT_CODES,
  )
  static override examples = [
    '<%= config.bin %> mig check --gpu A100-80GB 3g.40gb 2g.20gb 2g.20gb',
    '<%= config.bin %> mig check --gpu H100-80GB 3g.40gb@0 4g.40gb -o json',
    '<%= config.bin %> mig check --config examples/mig-parted/default-mig-parted-config.yaml',
  ]
  static override strict = false
  static override args = {instances: Args.string({description: 'PROFILE[@START] ... (e.g. 3g.40gb@4 1g.10gb)', required: false})}
  static override flags = {
    gpu: Flags.string({char: 'g', summary: 'GPU model: canonical (A100-80GB), GFD nvidia.com/gpu.product (NVIDIA-A100-SXM4-80GB) or alias (H200).', helpValue: 'MODEL'}),
    config: Flags.file({char: 'f', summary: 'A mig-parted config file (version: v1, mig-configs:) to validate.', helpValue: 'FILE'}),
  }

  async run(): Promise<CheckResult | MigPartedCheckResult> {
    const {argv} = await this.parse(MigCheck)
    const specs = argv as string[]
    if (this.flags.config) {
      if (specs.length > 0) throw new UserError('give either --config FILE or PROFILE arguments, not both')
      if (this.flags.gpu) requireMigModel(this.flags.gpu)
      const text = await readMigPartedFile(this.flags.config)
      const result = checkMigPartedConfig(text, this.flags.config, this.flags.gpu ? {gpu: this.flags.gpu} : {})
      if (result.configs.length === 0 && result.problems.some((p) => p.severity === 'error')) {
        throw new ValidationError(`${this.flags.config} is not a mig-parted v1 config`, result.problems)
      }
      this.output(result, renderMigPartedCheck)
      if (!result.valid) this.exitWith(EXIT.gateFailed)
      return result
    }
    const model = requireMigModel(this.flags.gpu)
    if (specs.length === 0) throw new UserError('no instances to check', {hint: 'e.g. gpu-scale mig check --gpu A100-80GB 3g.40gb 2g.20gb@0, or --config FILE'})
    let result: CheckResult
    try {
      result = checkInstances(model.name, specs.map((s) => parseInstanceRequest(s)))
    } catch (error) {
      if (error instanceof UnknownProfileError) throw new UserError(error.message, {hint: `see \`gpu-scale mig profiles --gpu ${model.name}\``})
      if (error instanceof Error) throw new UserError(error.message)
      throw error
    }
    this.output(result, renderMigCheck)
    if (!result.valid) this.exitWith(EXIT.gateFailed)
    return result
  }
}
