/**
 * Writes a file the user named (`--out FILE`), turning a file-system failure into a UserError located at the file.
 * The one place a command's output file is written.
 */
import {writeFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'

/** Writes `text` to `path`; on failure throws "cannot write the WHAT to PATH: why". */
export async function writeOutputFile(path: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(path, text)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why =
      code === 'ENOENT'
        ? 'no such directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message
    throw new UserError(`cannot write the ${what} to ${path}: ${why}`, {
      hint: 'check the directory exists and is writable',
      location: {file: path},
      cause: error,
    })
  }
}
