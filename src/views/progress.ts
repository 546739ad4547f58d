/**
 * A progress display on stderr for long runs (`simulate`): only on a TTY, so pipes, CI logs and `-o json` stay
 * clean. stdout is never touched.
 */
import ora from 'ora'

export interface Progress {
  update(done: number): void
  stop(): void
}

export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return {update: () => undefined, stop: () => undefined}
  const spinner = ora({text: label, stream}).start()
  return {
    update: (done) => {
      spinner.text = `${label} ${Math.round(done * 100)}%`
      // The loop runs synchronously between ticks; rendering here keeps the display moving without a timer.
      spinner.render()
    },
    stop: () => spinner.stop(),
  }
}
