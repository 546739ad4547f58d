import {describe, BaseCommand} from '../../cli/base-command.js'
import {migGpuFlag} from '../../cli/flags.js'
import {migProfilesFor, type MigProfile, requireMigModel} from '../../core/mig/index.js'
import {renderMigProfiles} from '../../views/mig.js'

export default class MigProfiles extends BaseCommand<typeof MigProfiles> {
  static override description = describe(
    'List the MIG GPU-instance profiles of a GPU model: memory and compute slices, memory size, and the placements {starts}:size (in memory slices) NVIDIA documents.',
  )
  static override examples = [
    '<%= config.bin %> mig profiles --gpu A100-80GB',
    '<%= config.bin %> mig profiles --gpu NVIDIA-H100-NVL -o json',
  ]
  static override flags = {
    gpu: migGpuFlag({required: true}),
  }

  async run(): Promise<{gpu: string; profiles: MigProfile[]}> {
    const model = requireMigModel(this.flags.gpu)
    const result = {gpu: model.name, profiles: migProfilesFor(model.name)}
    this.output(result, renderMigProfiles)
    return result
  }
}
