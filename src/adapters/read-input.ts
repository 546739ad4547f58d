/**
 * The one way input files (config, snapshot, mig-parted; `-` is standard input) are read: with a size limit, so a
 * wrong path (a disk image, a log) or a hostile file fails with one clear line instead of exhausting memory in the
 * parser. The limit is 64 MiB (src/core/input/limits.ts), over three times the 18.7 MB snapshot of the 2,000-node
 * benchmark fleet; larger fleets set GPU_SCALE_MAX_INPUT_BYTES.
 */
import {open, readFile} from 'node:fs/promises'

import {UserError} from '../core/errors.js'
import {DEFAULT_MAX_INPUT_BYTES} from '../core/input/limits.js'

export const MAX_INPUT_BYTES_ENV = 'GPU_SCALE_MAX_INPUT_BYTES'

export interface InputFileDescription {
  /** What the file is, for messages: `config file`, `snapshot file`, `mig-parted config`. */
  what: string
  /** What to do when it cannot be read. */
  hint: string
}

/** The size limit in bytes: GPU_SCALE_MAX_INPUT_BYTES when set (a positive whole number), else the default. */
export function resolveMaxInputBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[MAX_INPUT_BYTES_ENV]
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_INPUT_BYTES
  const value = Number(raw.trim())
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new UserError(`${MAX_INPUT_BYTES_ENV}=${JSON.stringify(raw)} is not a size in bytes`, {
      hint: `set it to a whole number of bytes, e.g. ${MAX_INPUT_BYTES_ENV}=${2 * DEFAULT_MAX_INPUT_BYTES}, or unset it for the default ${DEFAULT_MAX_INPUT_BYTES}`,
    })
  }
  return value
}

/**
 * Why a file operation failed, in a few words: `missing` for ENOENT (a file to read, a directory to write), the
 * common codes by name, `other(code)` for the rest.
 */
export function fileErrorReason(error: unknown, missing: string, other: (code: string | undefined) => string): string {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT'
    ? missing
    : code === 'EISDIR'
      ? 'is a directory'
      : code === 'EACCES'
        ? 'permission denied'
        : other(code)
}

export async function readInputFile(
  path: string,
  description: InputFileDescription,
  maxBytes = resolveMaxInputBytes(),
): Promise<string> {
  const file = path === '-' ? '<stdin>' : path
  let bytes: Buffer
  try {
    bytes = path === '-' ? await readStdin(maxBytes + 1) : await readFileUpTo(path, maxBytes + 1)
  } catch (error) {
    const why = fileErrorReason(error, 'not found', (code) => `cannot be read (${code ?? String(error)})`)
    // The location (printed first) names the file; the message says what is wrong with it.
    throw new UserError(`${description.what} ${why}`, {hint: description.hint, location: {file}, cause: error})
  }
  if (bytes.length > maxBytes) {
    throw new UserError(`${description.what} is larger than the ${formatBytes(maxBytes)} input limit`, {
      hint: `check it is the right file; for a larger fleet raise the limit, e.g. ${MAX_INPUT_BYTES_ENV}=${2 * maxBytes}`,
      location: {file},
    })
  }
  return bytes.toString('utf8')
}

/** Reads at most `limit` bytes: a file that is too large is detected without reading all of it. */
async function readFileUpTo(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const {size} = await handle.stat()
    // Regular files report their size; pipes and devices report 0 and are read up to the limit.
    if (size > 0 && size < limit) return await readFile(handle)
    // A pipe (`--snapshot <(kubectl ...)`) hands out its bytes in chunks: read until it ends or the limit is passed.
    const chunks: Buffer[] = []
    let total = 0
    while (total < limit) {
      const {bytesRead, buffer} = await handle.read(
        Buffer.alloc(Math.min(limit - total, 1 << 20)),
        0,
        Math.min(limit - total, 1 << 20),
        null,
      )
      if (bytesRead === 0) break
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
    }
    return Buffer.concat(chunks)
  } finally {
    await handle.close()
  }
}

async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer)
    total += (chunk as Buffer).length
    if (total >= limit) break
  }
  return Buffer.concat(chunks)
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : `${bytes} bytes`
}
