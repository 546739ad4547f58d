/**
 * The two string formats every gpu-scale schema uses, registered on each ajv instance that validates an input so
 * their errors come out with the schema's other errors, located at file:line:col:
 * - `date-time`: RFC 3339, checked strictly (an impossible date is an error, not the next day);
 * - `gpu-scale-duration`: a duration's value bound (the schema's pattern checks its shape; this checks that its
 *   digits fit a number and it is at most MAX_DURATION_SECONDS).
 * Editors validating with the published schemas know `date-time` and ignore the other, as draft-07 allows.
 */
import type {Ajv} from 'ajv'

import {MAX_DURATION_SECONDS, parseDuration, parseTimestamp} from '../model/duration.js'

/** `30s`, `3m`, `1h30m`, `500ms`, or a bare number of seconds: the forms parseDuration accepts. */
export const DURATION_PATTERN = '^\\s*(?:\\d+(?:\\.\\d+)?|(?:\\d+(?:\\.\\d+)?(?:ms|s|m|h|d))+)\\s*$'
export const TIMESTAMP_FORMAT = 'date-time'
export const DURATION_FORMAT = 'gpu-scale-duration'

const durationShape = new RegExp(DURATION_PATTERN)

export function addInputFormats(ajv: Ajv): Ajv {
  ajv.addFormat(TIMESTAMP_FORMAT, {type: 'string', validate: (text: string) => parseTimestamp(text) !== undefined})
  ajv.addFormat(DURATION_FORMAT, {type: 'string', validate: isDurationWithinBound})
  return ajv
}

/** Text that is not shaped like a duration passes here: the pattern reports it, once. */
function isDurationWithinBound(text: string): boolean {
  if (!durationShape.test(text)) return true
  const seconds = parseDuration(text)
  return seconds !== undefined && seconds <= MAX_DURATION_SECONDS
}
