/**
 * A progress display on stderr for long runs (`simulate`): only on a TTY, so pipes, CI logs and `-o json` stay
 * clean. stdout is never touched.
 */
import ora from 'ora'

export interface Progress {
  update(done: number): void
  stop(): void
}

/**
 * Whether a spinner may draw on this stream: a TTY with a width. A terminal that reports 0 columns (a serial
 * console, some CI pseudo-terminals) would make ora count every line as infinitely many rows to clear, and it
 * would flood the terminal with cursor moves; such a stream is treated like a pipe.
 */
export function canSpin(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && stream.columns !== 0
}

export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!canSpin(stream)) return {update: () => undefined, stop: () => undefined}
  const spinner = ora({text: label, stream}).start()
  let shown = -1
  return {
    update: (done) => {
      // The loop runs synchronously between ticks; rendering here keeps the display moving without a timer, and
      // only when the percentage changes, so a long run draws about a hundred frames, not one per tick.
      const percent = Math.round(done * 100)
      if (percent === shown) return
      shown = percent
      spinner.text = `${label} ${percent}%`
      spinner.render()
    },
    stop: () => spinner.stop(),
  }
}
