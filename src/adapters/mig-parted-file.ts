/**
 * Reads a mig-parted config file for `gpu-scale mig check --config`. The parsing and validation are pure
 * (src/core/mig/mig-parted-config.ts); this module only turns a path into text or a user-fixable error.
 */
import {readInputFile} from './read-input.js'

export async function readMigPartedFile(path: string): Promise<string> {
  return readInputFile(path, {
    what: 'mig-parted config',
    hint: 'pass the config.yaml of your mig-parted ConfigMap (kubectl get cm default-mig-parted-config -o jsonpath={.data.config\\.yaml})',
  })
}
