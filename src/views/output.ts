/**
 * Output conventions shared by every command: a human table by default, `-o json|yaml` (and `--json`) print the
 * typed result and nothing else on stdout. Colors only on a TTY and never with NO_COLOR.
 */
import {formatLocation, type Problem} from '../core/errors.js'
import {toJsonText, toYamlText} from '../core/serialize.js'

export type OutputFormat = 'table' | 'json' | 'yaml'

/** JSON exactly as `-o json` prints it (and `--out` saves it): see src/core/serialize.ts. */
export const renderJson = toJsonText
export const renderYaml = toYamlText

/** A warning about an input, one line for stderr: `warning: file:line:col path: message`. */
export function describeWarning(problem: Problem): string {
  return `warning: ${formatLocation(problem.location)}: ${problem.message}`
}

/** A live reader's diagnostic on stderr: `warning: message [Code]`. */
export function describeDiagnostic(diagnostic: {severity: string; code: string; message: string}): string {
  return `${diagnostic.severity}: ${diagnostic.message} [${diagnostic.code}]`
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb'
}

const ANSI = {
  bold: '\u001B[1m',
  dim: '\u001B[2m',
  red: '\u001B[31m',
  green: '\u001B[32m',
  yellow: '\u001B[33m',
  cyan: '\u001B[36m',
  reset: '\u001B[0m',
}
export type Style = keyof Omit<typeof ANSI, 'reset'>

/** Wraps text in a style when color is on; identity otherwise (so golden files never contain escapes). */
export function paint(text: string, style: Style, color: boolean): string {
  return color ? `${ANSI[style]}${text}${ANSI.reset}` : text
}

/** Every table goes through src/views/table.ts, which fits it to the terminal width. */
export {renderTable, terminalWidth, wrapParagraph} from './table.js'

export function heading(text: string, color = false): string {
  return paint(text, 'bold', color) + '\n'
}
