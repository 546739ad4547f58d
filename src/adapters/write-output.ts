/**
 * Writes a file the user named (`--out FILE`), turning a file-system failure into a UserError located at the file.
 * The one place a command's output file is written.
 */
import {writeFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'
import {fileErrorReason} from './read-input.js'

/** Writes `text` to `path`; on failure throws "cannot write the WHAT to PATH: why". */
export async function writeOutputFile(path: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(path, text)
  } catch (error) {
    const why = fileErrorReason(error, 'no such directory', () => (error as Error).message)
    throw new UserError(`cannot write the ${what} to ${path}: ${why}`, {
      hint: 'check the directory exists and is writable',
      location: {file: path},
      cause: error,
    })
  }
}
