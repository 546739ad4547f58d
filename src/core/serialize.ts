/**
 * The one encoding of typed results as text: what `-o json|yaml` prints and what `--out` and snapshot files hold,
 * so a saved file is byte-identical to the printed result. Pure, shared by views (stdout) and adapters (files).
 */
import {stringify} from 'yaml'

/** Two-space indent, trailing newline, key order as built (deterministic). */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

export function toYamlText(value: unknown): string {
  return stringify(value, {lineWidth: 0, aliasDuplicateObjects: false})
}
