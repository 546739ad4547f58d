/**
 * Human views for `gpu-scale mig ...`: tables of models, profiles and layouts, and check verdicts. JSON/YAML
 * print the command's typed result instead (src/commands/base-command.ts).
 */
import {formatLocation} from '../core/errors.js'
import type {CheckResult, Layout, MigPartedCheckResult, MigProfile} from '../core/mig/index.js'
import {formatLayout} from '../core/mig/index.js'
import {heading, paint, renderTable, terminalWidth, wrapParagraph} from './output.js'

export interface MigGpuRow {
  name: string
  aliases: string[]
  memoryMiB: number
  memorySlices: number
  computeSlices: number
  maxInstances: number
  pciDeviceIds: string[]
}

export function renderMigGpus(rows: MigGpuRow[], color: boolean): string {
  // The aliases are the longest cell; on a narrow terminal they go under each row (see renderTable's detail).
  return renderTable(
    [
      'GPU',
      'Memory MiB',
      'Memory slices',
      'Compute slices',
      'Max instances',
      'PCI device IDs',
      'Aliases (GFD gpu.product, short)',
    ],
    rows.map((r) => [
      r.name,
      r.memoryMiB,
      r.memorySlices,
      r.computeSlices,
      r.maxInstances,
      r.pciDeviceIds.join('\n'),
      r.aliases.join(', '),
    ]),
    {color, wrap: [1, 2, 3, 4, 5, 6], detail: 6},
  )
}

export function renderMigProfiles(result: {gpu: string; profiles: MigProfile[]}, color: boolean): string {
  return (
    heading(`MIG profiles on ${result.gpu}`, color) +
    renderTable(
      ['Profile', 'Memory slices', 'Compute slices', 'Memory MiB', 'Placements', 'Max', 'Media ext.'],
      result.profiles.map((p) => [
        p.name,
        p.memorySlices,
        p.computeSlices,
        p.memoryMiB + (p.memorySource === 'estimated' ? ' (est.)' : ''),
        `{${p.starts.join(',')}}:${p.memorySlices}`,
        p.maxInstances,
        p.mediaExtensions ? 'yes' : '',
      ]),
      {color, wrap: [1, 2, 3, 4, 6]},
    )
  )
}

export function renderMigLayouts(result: {gpu: string; layouts: Layout[]}, color: boolean): string {
  return (
    heading(`${result.layouts.length} maximal MIG layouts on ${result.gpu} (no further profile fits)`, color) +
    renderTable(
      ['#', 'Layout (profile@start)', 'Instances', 'Memory slices used', 'Compute slices used'],
      result.layouts.map((l, i) => [
        i + 1,
        formatLayout(l.placements),
        l.placements.length,
        l.memorySlicesUsed,
        l.computeSlicesUsed,
      ]),
      {color, wrap: [1, 2, 3, 4]},
    )
  )
}

export function renderMigCheck(result: CheckResult, color: boolean): string {
  const verdict = result.valid ? paint('valid', 'green', color) : paint('invalid', 'red', color)
  let text = wrapParagraph(`${verdict} on ${result.gpu}: ${result.reason}`, terminalWidth(), '  ') + '\n'
  if (result.valid)
    text += renderTable(
      ['Profile', 'Start', 'Memory slices'],
      result.placements.map((p) => [
        p.profile,
        p.start,
        p.size === 1 ? `${p.start}` : `${p.start}-${p.start + p.size - 1}`,
      ]),
      {color},
    )
  return text
}

export function renderMigPartedCheck(result: MigPartedCheckResult, color: boolean): string {
  const rows: Array<Array<string | number>> = []
  for (const config of result.configs) {
    for (const entry of config.entries) {
      const filter = entry.deviceFilter ? entry.deviceFilter.join(' ') : 'any'
      const devices = entry.devices === 'all' ? 'all' : entry.devices.join(',')
      if (entry.checks.length === 0) {
        rows.push([config.name, entry.index, `${devices} / ${filter}`, '-', entry.note ?? '', ''])
        continue
      }
      for (const check of entry.checks) {
        rows.push([
          config.name,
          entry.index,
          `${devices} / ${filter}`,
          check.gpu,
          check.valid ? formatLayout(check.placements) : check.reason,
          check.valid ? paint('ok', 'green', color) : paint('invalid', 'red', color),
        ])
      }
    }
  }
  let text = heading(`mig-parted config ${result.file}${result.gpu ? ` on ${result.gpu}` : ''}`, color)
  text += renderTable(['Config', 'Entry', 'Devices / filter', 'GPU', 'Layout or reason', 'Result'], rows, {
    color,
    wrap: [0, 2, 4],
  })
  for (const problem of result.problems) {
    text += `${formatLocation(problem.location)}: ${problem.severity === 'error' ? paint('error', 'red', color) : paint('warning', 'yellow', color)}: ${problem.message} [${problem.code}]\n`
  }
  const errors = result.problems.filter((p) => p.severity === 'error').length
  text +=
    errors === 0
      ? paint(`all ${result.configs.length} configs valid\n`, 'green', color)
      : paint(`${errors} problem(s)\n`, 'red', color)
  return text
}
