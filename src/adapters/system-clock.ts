/** The wall clock as the Clock port (epoch seconds), for live runs; an aborted sleep rejects with the signal's reason. */
import type {Clock} from '../core/ports.js'

export const systemClock: Clock = {
  now: () => Date.now() / 1000,
  sleep: (seconds, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, seconds * 1000)
      signal?.addEventListener('abort', onAbort, {once: true})
    }),
}
