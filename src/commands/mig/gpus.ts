import {describe, BaseCommand} from '../../cli/base-command.js'
import {listMigGpuModels, migProfilesFor} from '../../core/mig/index.js'
import {renderMigGpus, type MigGpuRow} from '../../views/mig.js'

export default class MigGpus extends BaseCommand<typeof MigGpus> {
  static override description = describe(
    'List the GPU models whose MIG geometry gpu-scale knows: names, GPU Feature Discovery aliases, memory and compute slices, PCI device IDs.',
  )
  static override examples = ['<%= config.bin %> mig gpus', '<%= config.bin %> mig gpus -o json']

  async run(): Promise<MigGpuRow[]> {
    const rows: MigGpuRow[] = listMigGpuModels().map((m) => ({
      name: m.name,
      aliases: m.aliases,
      memoryMiB: m.memoryMiB,
      memorySlices: m.memorySlices,
      computeSlices: m.computeSlices,
      maxInstances: Math.max(...migProfilesFor(m.name).map((p) => p.maxInstances)),
      pciDeviceIds: m.pciDeviceIds,
    }))
    this.output(rows, renderMigGpus)
    return rows
  }
}
