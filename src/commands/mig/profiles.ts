import {Flags} from '@oclif/core'

import {describe, BaseCommand} from '../../cli/base-command.js'
import {migProfilesFor, type MigProfile, requireMigModel} from '../../core/mig/index.js'
import {renderMigProfiles} from '../../views/mig.js'
import {exitCodes} from '../../core/exit-codes.js'

const EXIT_CODES = exitCodes()

export default class MigProfiles extends BaseCommand<typeof MigProfiles> {
  static override exitCodes = EXIT_CODES
  static override description = describe(
    'List the MIG GPU-instance profiles of a GPU model: memory and compute slices, memory size, and the placements {starts}:size (in memory slices) NVIDIA documents.',
    EXIT_CODES,
  )
  static override examples = [
    '<%= config.bin %> mig profiles --gpu A100-80GB',
    '<%= config.bin %> mig profiles --gpu NVIDIA-H100-NVL -o json',
  ]
  static override flags = {
    gpu: Flags.string({
      char: 'g',
      summary: 'GPU model: canonical (A100-80GB), GFD nvidia.com/gpu.product (NVIDIA-A100-SXM4-80GB) or alias (H200).',
      helpValue: 'MODEL',
      required: true,
    }),
  }

  async run(): Promise<{gpu: string; profiles: MigProfile[]}> {
    const model = requireMigModel(this.flags.gpu)
    const result = {gpu: model.name, profiles: migProfilesFor(model.name)}
    this.output(result, renderMigProfiles)
    return result
  }
}
