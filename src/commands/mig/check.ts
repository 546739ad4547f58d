import {Args, Flags} from '@oclif/core'

import {describe, BaseCommand} from '../../cli/base-command.js'
import {migGpuFlag} from '../../cli/flags.js'
import {UserError} from '../../core/errors.js'
import {EXIT, exitCodes} from '../../core/exit-codes.js'
import type {CheckResult, MigPartedCheckResult} from '../../core/mig/index.js'
import {checkMigInstances, checkMigPartedFile} from '../../services/mig-check.js'
import {renderMigCheck, renderMigPartedCheck} from '../../views/mig.js'

const EXIT_CODES = exitCodes(
  [EXIT.ok, 'every layout is valid'],
  [EXIT.gateFailed, 'a layout or config entry is invalid'],
)

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
  static override args = {
    instances: Args.string({description: 'PROFILE[@START] ... (e.g. 3g.40gb@4 1g.10gb)', required: false}),
  }
  static override flags = {
    gpu: migGpuFlag(),
    config: Flags.file({
      char: 'f',
      summary: 'A mig-parted config file (version: v1, mig-configs:) to validate.',
      helpValue: 'FILE',
    }),
  }

  async run(): Promise<CheckResult | MigPartedCheckResult> {
    const {argv} = await this.parse(MigCheck)
    const specs = argv as string[]
    if (this.flags.config) {
      if (specs.length > 0) throw new UserError('give either --config FILE or PROFILE arguments, not both')
      const result = await checkMigPartedFile(this.flags.config, this.flags.gpu)
      this.output(result, renderMigPartedCheck)
      if (!result.valid) this.exitWith(EXIT.gateFailed)
      return result
    }
    const result = checkMigInstances(this.flags.gpu, specs)
    this.output(result, renderMigCheck)
    if (!result.valid) this.exitWith(EXIT.gateFailed)
    return result
  }
}
