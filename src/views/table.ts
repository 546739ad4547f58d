/**
 * The one table helper every view uses: tables fit the terminal. Columns that hold prose (reasons, evidence) wrap
 * inside their cell; the row itself never wraps, because a terminal that wraps a 147-column row turns every table
 * into noise. Width is the terminal's (`process.stdout.columns`) on a TTY, and 80 otherwise, so piped output and
 * golden files do not depend on who ran the command.
 *
 * How widths are chosen: columns not listed in `wrap` keep their natural width (their longest line). The wrap
 * columns share what is left by water-filling: narrow ones keep their natural width, the widest are cut to an equal
 * share of the rest. A wrap column never goes below its longest word (capped, so one huge token cannot win), so words break at
 * spaces; a word longer than its column is split. Only when even that does not fit is the table wider than asked.
 */
import Table from 'cli-table3'

export interface TableOptions {
  color?: boolean
  /** Total width in characters, borders included (default: `terminalWidth()`). */
  width?: number
  /** Indexes of the columns that may wrap (default: the last column). */
  wrap?: readonly number[]
  /**
   * A prose column (reasons) that, when the terminal is too narrow to give it `DETAIL_MIN_WIDTH` characters beside
   * the others, moves to a full-width line under each row, introduced by its header: at 80 columns a six-column
   * plan table would otherwise leave its reasons a dozen characters wide.
   */
  detail?: number
}

/** The width tables are fitted to: the terminal's columns on a TTY, 80 when piped or redirected. */
export function terminalWidth(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : 80
}

// Color codes take no room on screen (paint() in output.ts adds them).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g
/** A wrap column is never narrower than its longest word, up to this many characters. */
const MAX_UNBROKEN_WORD = 16
const MIN_WRAP_WIDTH = 6
const DETAIL_MIN_WIDTH = 40
const SEPARATORS = '_:/.-,'

export function renderTable(head: string[], rows: Array<Array<string | number>>, options: TableOptions = {}): string {
  const cells = rows.map((row) => row.map(String))
  const width = options.width ?? terminalWidth()
  const wrap = options.wrap ?? [head.length - 1]
  const widths = fitColumns([head, ...cells], width, wrap)
  const detail = options.detail
  if (
    detail !== undefined &&
    widths[detail]! < Math.min(DETAIL_MIN_WIDTH, Math.max(...[head, ...cells].map((r) => longestLine(r[detail] ?? ''))))
  ) {
    return renderWithDetailLines(head, cells, detail, width, wrap, options.color ?? false)
  }
  const table = new Table({
    head: head.map((h, i) => wrapText(h, widths[i]!).join('\n')),
    // Each content width plus one space of padding on either side.
    colWidths: widths.map((w) => w + 2),
    wordWrap: false,
    style: {head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [], compact: false},
  })
  for (const row of cells) table.push(row.map((cell, i) => wrapText(cell, widths[i]!).join('\n')))
  return table.toString() + '\n'
}

/** The table without its detail column; each row is followed by that column's text across the full width. */
function renderWithDetailLines(
  head: string[],
  cells: string[][],
  detail: number,
  width: number,
  wrap: readonly number[],
  color: boolean,
): string {
  const keep = (row: string[]): string[] => row.filter((_, i) => i !== detail)
  const shift = (i: number): number => (i > detail ? i - 1 : i)
  const rest = [keep(head), ...cells.map(keep)]
  const widths = fitColumns(rest, width, wrap.filter((i) => i !== detail).map(shift))
  const columns = widths.length
  // Widen the widest column so the table, and with it the detail lines, use the whole width.
  const used = widths.reduce((a, b) => a + b, 0) + 2 * columns + columns + 1
  if (used < width) {
    const widest = widths.indexOf(Math.max(...widths))
    widths[widest] = widths[widest]! + width - used
  }
  const spanned = widths.reduce((a, b) => a + b, 0) + 2 * columns + (columns - 1) - 2
  const table = new Table({
    head: rest[0]!.map((h, i) => wrapText(h, widths[i]!).join('\n')),
    colWidths: widths.map((w) => w + 2),
    wordWrap: false,
    style: {head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: false},
  })
  cells.forEach((row, r) => {
    table.push(rest[r + 1]!.map((cell, i) => wrapText(cell, widths[i]!).join('\n')))
    table.push([{colSpan: columns, content: wrapText(`${head[detail]}: ${row[detail] ?? ''}`, spanned).join('\n')}])
  })
  return table.toString() + '\n'
}

/** Content widths (without padding) of each column so the table fits `width`; see the header for the rule. */
export function fitColumns(rows: string[][], width: number, wrap: readonly number[]): number[] {
  const columns = rows[0]?.length ?? 0
  const natural = Array.from({length: columns}, (_, i) => Math.max(1, ...rows.map((r) => longestLine(r[i] ?? ''))))
  const widths = [...natural]
  const wrapping = wrap.filter((i) => i >= 0 && i < columns)
  // Borders: one per column plus one; padding: two per column.
  const fixed = natural.reduce((sum, w, i) => (wrapping.includes(i) ? sum : sum + w), 0)
  let available = width - (columns + 1) - 2 * columns - fixed
  if (wrapping.reduce((sum, i) => sum + natural[i]!, 0) <= available) return widths
  const minimum = (i: number): number =>
    Math.min(
      natural[i]!,
      Math.max(MIN_WRAP_WIDTH, Math.min(MAX_UNBROKEN_WORD, Math.max(...rows.map((r) => longestWord(r[i] ?? ''))))),
    )
  // Every wrap column starts at its minimum; what is left goes by water-filling, the columns that need least
  // first: a column that needs less than an equal share of the rest gets its natural width.
  for (const i of wrapping) {
    widths[i] = minimum(i)
    available -= widths[i]!
  }
  const order = [...wrapping].sort((a, b) => natural[a]! - widths[a]! - (natural[b]! - widths[b]!))
  order.forEach((i, k) => {
    const extra = Math.max(0, Math.min(natural[i]! - widths[i]!, Math.floor(available / (order.length - k))))
    widths[i] = widths[i]! + extra
    available -= extra
  })
  return widths
}

/** Splits text into lines of at most `width` visible characters: at spaces, and inside words longer than a line. */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(/ +/)) {
      let rest = word
      while (visibleLength(rest) > width) {
        if (line) {
          out.push(line)
          line = ''
        }
        // A metric or resource name breaks after a separator when it can (vllm:num_requests_ | waiting).
        const cut = Math.max(...[...SEPARATORS].map((c) => rest.lastIndexOf(c, width - 1) + 1))
        const at = cut > width / 2 ? cut : width
        out.push(rest.slice(0, at))
        rest = rest.slice(at)
      }
      if (!line) line = rest
      else if (visibleLength(line) + 1 + visibleLength(rest) <= width) line += ' ' + rest
      else {
        out.push(line)
        line = rest
      }
    }
    out.push(line)
  }
  return out
}

/** Wraps prose to the width with a hanging indent, for lines printed outside tables. */
export function wrapParagraph(text: string, width: number = terminalWidth(), indent = ''): string {
  const lead = /^ */.exec(text)![0]
  const lines = wrapText(
    text.slice(lead.length),
    Math.max(MIN_WRAP_WIDTH, width - Math.max(lead.length, indent.length)),
  )
  return lines.map((line, i) => (i === 0 ? lead : indent) + line).join('\n')
}

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length
}

function longestLine(text: string): number {
  return Math.max(0, ...text.split('\n').map(visibleLength))
}

function longestWord(text: string): number {
  return Math.max(0, ...text.split(/\s+/).map(visibleLength))
}
