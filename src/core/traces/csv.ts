/**
 * CSV field splitting for trace rows. Hand-written rather than a library: trace rows are one line each (no
 * embedded newlines in any supported layout), almost never quoted, and parsed tens of millions of times, so the
 * fast path is `String.split` and only a line containing a quote takes the RFC 4180 path.
 */

/** Splits one CSV line into fields. Returns undefined when a quoted field is not closed on the line. */
export function splitCsvLine(line: string): string[] | undefined {
  if (line.indexOf('"') < 0) return line.split(',')
  const fields: string[] = []
  let i = 0
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = ''
      let j = i + 1
      for (;;) {
        const q = line.indexOf('"', j)
        if (q < 0) return undefined
        value += line.slice(j, q)
        if (line.charCodeAt(q + 1) === 34) {
          value += '"'
          j = q + 2
          continue
        }
        i = q + 1
        break
      }
      // Anything between the closing quote and the next comma is kept, as most readers do.
      const comma = line.indexOf(',', i)
      fields.push(comma < 0 ? value + line.slice(i) : value + line.slice(i, comma))
      if (comma < 0) return fields
      i = comma + 1
    } else {
      const comma = line.indexOf(',', i)
      if (comma < 0) {
        fields.push(line.slice(i))
        return fields
      }
      fields.push(line.slice(i, comma))
      i = comma + 1
    }
  }
}
