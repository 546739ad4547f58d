/**
 * Reads and writes cluster snapshot files (JSON or YAML by content; `-` is standard input). The only place
 * snapshots touch the file system.
 */
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import {encodeSnapshot} from '../core/snapshot/codec.js'
import {parseSnapshot} from '../core/snapshot/parse.js'
import {toJsonText, toYamlText} from '../core/serialize.js'
import {readInputFile} from './read-input.js'
import {writeOutputFile} from './write-output.js'

export async function loadSnapshotFile(path: string): Promise<{snapshot: ClusterSnapshot; text: string}> {
  const text = await readInputFile(path, {
    what: 'snapshot file',
    hint: 'pass a ClusterSnapshot file (schemas/cluster-snapshot.schema.json), or use --sim',
  })
  return {snapshot: parseSnapshot(text, path === '-' ? '<stdin>' : path), text}
}

export async function writeSnapshotFile(path: string, snapshot: ClusterSnapshot): Promise<void> {
  const doc = encodeSnapshot(snapshot)
  await writeOutputFile(path, /\.ya?ml$/i.test(path) ? toYamlText(doc) : toJsonText(doc), 'snapshot')
}
