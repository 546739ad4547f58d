import {Flags} from '@oclif/core'

import {describe, BaseCommand} from '../../cli/base-command.js'
import {migGpuFlag} from '../../cli/flags.js'
import {enumerateMaximalLayouts, type Layout, requireMigModel} from '../../core/mig/index.js'
import {renderMigLayouts} from '../../views/mig.js'

export default class MigLayouts extends BaseCommand<typeof MigLayouts> {
  static override description = describe(
    'List every maximal valid MIG layout of a GPU model: sets of placed instances to which no further profile can be added.',
  )
  static override examples = [
    '<%= config.bin %> mig layouts --gpu A30',
    '<%= config.bin %> mig layouts --gpu H100-80GB --media-extensions -o json',
  ]
  static override flags = {
    gpu: migGpuFlag({required: true}),
    'media-extensions': Flags.boolean({summary: 'Also list layouts with a +me (media extensions) instance.'}),
  }

  async run(): Promise<{gpu: string; layouts: Layout[]}> {
    const model = requireMigModel(this.flags.gpu)
    const result = {
      gpu: model.name,
      layouts: enumerateMaximalLayouts(model.name, {mediaExtensions: this.flags['media-extensions']}),
    }
    this.output(result, renderMigLayouts)
    return result
  }
}
