/**
 * The Prometheus file_sd targets file of `sim serve`: rewritten atomically (a temp file renamed over it) whenever
 * the set of exporter targets changes, so Prometheus never reads half a file (its file SD watches the file and
 * re-reads it on change or every `refresh_interval`, facts §8). Writes are serialized; the latest content wins.
 */
import {rename, writeFile} from 'node:fs/promises'

export class TargetsFile {
  private last = ''
  private pending = ''
  private writing: Promise<void> = Promise.resolve()

  constructor(readonly path: string) {}

  /** Schedules a write if `content` differs from what was last written. */
  update(content: unknown): Promise<void> {
    const text = JSON.stringify(content, null, 1) + '\n'
    if (text === this.last || text === this.pending) return this.writing
    this.pending = text
    this.writing = this.writing.then(async () => {
      if (this.pending !== text) return
      const temp = `${this.path}.${process.pid}.tmp`
      await writeFile(temp, text)
      await rename(temp, this.path)
      this.last = text
    })
    return this.writing
  }

  /** Resolves once every scheduled write is on disk. */
  flush(): Promise<void> {
    return this.writing
  }
}
