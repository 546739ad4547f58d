/**
 * Reads and writes cluster snapshot files (JSON or YAML by content; `-` is standard input). The only place
 * snapshots touch the file system.
 */
import {writeFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import {encodeSnapshot} from '../core/snapshot/codec.js'
import {parseSnapshot} from '../core/snapshot/parse.js'
import {toJsonText, toYamlText} from '../core/serialize.js'
import {readInputFile} from './read-input.js'

export async function loadSnapshotFile(path: string): Promise<{snapshot: ClusterSnapshot; text: string}> {
  const text = await readInputFile(path, {
    what: 'snapshot file',
    hint: 'pass a ClusterSnapshot file (schemas/cluster-snapshot.schema.json), or use --sim',
  })
  return {snapshot: parseSnapshot(text, path === '-' ? '<stdin>' : path), text}
}

export async function writeSnapshotFile(path: string, snapshot: ClusterSnapshot): Promise<void> {
  const doc = encodeSnapshot(snapshot)
  try {
    await writeFile(path, /\.ya?ml$/i.test(path) ? toYamlText(doc) : toJsonText(doc))
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
    throw new UserError(`cannot write the snapshot to ${path}: ${why}`, {
      hint: 'check the directory exists and is writable',
      location: {file: path},
      cause: error,
    })
  }
}
