/**
 * Reads a mig-parted config file for `gpu-scale mig check --config`. The parsing and validation are pure
 * (src/core/mig/mig-parted-config.ts); this module only turns a path into text or a user-fixable error.
 */
import {readFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'

export async function readMigPartedFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message
    throw new UserError(`cannot read mig-parted config ${path}: ${why}`, {
      hint: 'pass the config.yaml of your mig-parted ConfigMap (kubectl get cm default-mig-parted-config -o jsonpath={.data.config\\.yaml})',
      location: {file: path},
      cause: error,
    })
  }
}
