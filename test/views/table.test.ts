/** The shared table helper: rows never wrap, prose columns do, and the table fits the width it is given. */
import {describe, expect, test} from 'vitest'

import {fitColumns, renderTable, wrapText} from '../../src/views/table.js'

const REASON =
  'replicas of llama-8b fit no free or arriving GPU; 2 new standard node(s) ready in ~210s (provision 120s + drivers 60s + image 30s)'

function widest(text: string): number {
  return Math.max(...text.split('\n').map((line) => line.length))
}

describe('wrapText', () => {
  test.each([
    {why: 'short text stays one line', text: 'nodes 3 → 6', width: 20, lines: ['nodes 3 → 6']},
    {why: 'breaks at spaces', text: 'no GPU work for 600s', width: 10, lines: ['no GPU', 'work for', '600s']},
    {why: 'keeps the line breaks it is given', text: 'a\nb c', width: 10, lines: ['a', 'b c']},
    {
      why: 'a metric name breaks after a separator',
      text: 'vllm:num_requests_waiting',
      width: 18,
      lines: ['vllm:num_requests_', 'waiting'],
    },
    {
      why: 'a word with no separator is split at the width',
      text: 'abcdefghij',
      width: 4,
      lines: ['abcd', 'efgh', 'ij'],
    },
  ])('$why', ({text, width, lines}) => {
    expect(wrapText(text, width)).toEqual(lines)
  })
})

describe('fitColumns', () => {
  test.each([
    {
      why: 'a table that fits keeps natural widths',
      rows: [
        ['#', 'Why'],
        ['1', 'short'],
      ],
      width: 80,
      wrap: [1],
      widths: [1, 5],
    },
    {
      why: 'the wrap column takes what the others leave',
      rows: [
        ['#', 'Target', 'Why'],
        ['1', 'group a', 'x'.repeat(100)],
      ],
      width: 40,
      wrap: [2],
      widths: [1, 7, 40 - 4 - 6 - 1 - 7],
    },
    {
      why: 'of two wrap columns the narrow one keeps its width',
      rows: [
        ['A', 'B'],
        ['short text', 'y '.repeat(60)],
      ],
      width: 50,
      wrap: [0, 1],
      widths: [10, 50 - 3 - 4 - 10],
    },
  ])('$why', ({rows, width, wrap, widths}) => {
    expect(fitColumns(rows, width, wrap)).toEqual(widths)
  })
})

describe('renderTable', () => {
  test.each([{width: 60}, {width: 80}, {width: 120}])(
    'a plan-like table fits $width columns and keeps every word',
    ({width}) => {
      const text = renderTable(
        ['#', 'Target', 'Change', 'Ready in', 'After', 'Why'],
        [['1', 'group standard', 'nodes 3 → 6', '3m30s', '-', REASON]],
        {width, wrap: [1, 2, 5], detail: 5},
      )
      expect(widest(text)).toBeLessThanOrEqual(width)
      const words = text.replace(/[│┌┐└┘├┤┬┴┼─]/g, ' ').split(/\s+/)
      for (const word of REASON.split(' ')) expect(words, word).toContain(word)
    },
  )

  test('a narrow terminal moves the detail column under its row, introduced by its header', () => {
    const text = renderTable(
      ['#', 'Target', 'Change', 'Ready in', 'After', 'Why'],
      [['1', 'group standard', 'nodes 3 → 6', '3m30s', '-', REASON]],
      {width: 80, wrap: [1, 2, 5], detail: 5},
    )
    expect(text).toMatch(/│ Why: replicas of llama-8b/)
  })

  test('a wide terminal keeps the detail column beside the others', () => {
    const text = renderTable(
      ['#', 'Target', 'Change', 'Ready in', 'After', 'Why'],
      [['1', 'group standard', 'nodes 3 → 6', '3m30s', '-', REASON]],
      {width: 200, wrap: [1, 2, 5], detail: 5},
    )
    expect(text).toMatch(/│ After │ Why +│/)
    expect(text.split('\n')).toHaveLength(6)
  })
})
