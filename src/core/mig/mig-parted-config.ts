/**
 * A pure reader and validator for mig-parted config files (`version: v1`, `mig-configs:`), the format of the
 * GPU Operator's `default-mig-parted-config` ConfigMap (github.com/NVIDIA/mig-parted, api/spec/v1). Text in,
 * parsed configs and located problems out; reading the file is src/adapters/mig-parted-file.ts's job.
 *
 * Semantics checked, per entry of every named config:
 * - `devices`: `all` or a list of GPU indices; `device-filter`: PCI device ID(s) `0x<device><vendor>`;
 *   `mig-enabled`: boolean; `mig-devices`: profile → count (required non-empty only when it matters).
 * - The entry's `mig-devices` must fit on one GPU of every supported model it applies to: the models its
 *   device filter names, or without a filter the `--gpu` model, or else every model whose profile names it
 *   uses (mig-parted applies the same devices to each selected GPU and tries every creation order, so a
 *   layout is valid iff some placement exists).
 */
import {isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap} from 'yaml'

import type {Problem, SourceLocation} from '../errors.js'
import {MAX_GPUS_PER_NODE} from '../input/limits.js'
import {parseYamlSafely} from '../input/yaml.js'
import {findGpuModel, findGpuModelByPciId, listMigGpuModels} from './catalog.js'
import {checkInstances, type Placement} from './geometry.js'
import {findMigProfile, isProfileNameShape} from './profiles.js'

export interface MigPartedEntry {
  /** 0-based position in the config's list. */
  index: number
  location: SourceLocation
  devices: 'all' | number[]
  /** Upper-case PCI device IDs, or null for "any device". */
  deviceFilter: string[] | null
  migEnabled: boolean
  migDevices: Record<string, number>
}

export interface MigPartedConfigSet {
  name: string
  location: SourceLocation
  entries: MigPartedEntry[]
}

export interface MigPartedConfig {
  version: string
  configs: MigPartedConfigSet[]
}

export interface EntryCheck {
  gpu: string
  valid: boolean
  placements: Placement[]
  reason: string
}

export interface EntryReport {
  index: number
  line?: number
  devices: 'all' | number[]
  deviceFilter: string[] | null
  migEnabled: boolean
  migDevices: Record<string, number>
  checks: EntryCheck[]
  /** Why no supported model was checked (filter names other GPUs, MIG disabled), if so. */
  note?: string
}

export interface MigPartedCheckResult {
  file: string
  gpu: string | null
  valid: boolean
  configs: Array<{name: string; line?: number; valid: boolean; entries: EntryReport[]}>
  problems: Problem[]
}

const ENTRY_KEYS = new Set(['devices', 'device-filter', 'mig-enabled', 'mig-devices'])
/**
 * No GPU holds more than 7 MIG instances (NVIDIA's MIG user guide); a count above it is an error before anything
 * builds a list of that many instances (a count of 1e9 would exhaust memory).
 */
const MAX_INSTANCES_PER_GPU = 7

/**
 * Parses mig-parted YAML. Problems carry file:line:col. `fatal` is true when the text is not a v1 mig-parted
 * config at all (YAML syntax errors, no `mig-configs` map), so callers can tell bad input from bad layouts.
 */
export function parseMigPartedConfig(
  text: string,
  file: string,
): {config: MigPartedConfig; problems: Problem[]; fatal: boolean} {
  const {document: doc, lineCounter, problems: syntax} = parseYamlSafely(text, file)
  const problems: Problem[] = []
  const locate = (node: Node | null | undefined, path: string): SourceLocation => {
    const offset = node?.range?.[0]
    if (offset === undefined) return {file, path}
    const pos = lineCounter.linePos(offset)
    return {file, line: pos.line, column: pos.col, path}
  }
  const report = (
    code: string,
    message: string,
    location: SourceLocation,
    severity: 'error' | 'warning' = 'error',
  ): void => {
    problems.push({severity, code, message, location})
  }
  const config: MigPartedConfig = {version: '', configs: []}

  problems.push(...syntax)
  if (!doc || syntax.length > 0) return {config, problems, fatal: true}
  const root = doc.contents
  if (!isMap(root)) {
    report(
      'NotMigPartedConfig',
      'expected a map with `version: v1` and `mig-configs:`',
      locate(root as Node | null, ''),
    )
    return {config, problems, fatal: true}
  }
  const version = root.get('version', true)
  if (!isScalar(version)) {
    report('MissingVersion', 'missing `version: v1`', locate(root, 'version'))
  } else if (String(version.value) !== 'v1') {
    report(
      'UnsupportedVersion',
      `version "${String(version.value)}" is not supported; mig-parted configs are \`version: v1\``,
      locate(version, 'version'),
    )
  } else {
    config.version = 'v1'
  }
  for (const pair of root.items) {
    const key = keyOf(pair)
    if (key !== 'version' && key !== 'mig-configs')
      report(
        'UnknownField',
        `unknown top-level field "${key}" (expected version, mig-configs)`,
        locate(pair.key as Node, key),
        'warning',
      )
  }
  const configs = root.get('mig-configs', true)
  if (!isMap(configs)) {
    report(
      'MissingMigConfigs',
      '`mig-configs` must be a map of config name → list of entries',
      locate((configs as Node | undefined) ?? root, 'mig-configs'),
    )
    return {config, problems, fatal: true}
  }

  for (const pair of (configs as YAMLMap).items) {
    const name = keyOf(pair)
    const path = `mig-configs.${name}`
    const set: MigPartedConfigSet = {name, location: locate(pair.key as Node, path), entries: []}
    config.configs.push(set)
    const list = pair.value as Node | null
    if (!isSeq(list) || list.items.length === 0) {
      report(
        'InvalidConfig',
        `config "${name}" must be a non-empty list of entries`,
        locate(list ?? (pair.key as Node), path),
      )
      continue
    }
    list.items.forEach((item, index) => {
      const entryPath = `${path}[${index}]`
      if (!isMap(item)) {
        report(
          'InvalidEntry',
          `entry ${index} of "${name}" must be a map with devices, mig-enabled, mig-devices`,
          locate(item as Node, entryPath),
        )
        return
      }
      const entry: MigPartedEntry = {
        index,
        location: locate(item, entryPath),
        devices: 'all',
        deviceFilter: null,
        migEnabled: false,
        migDevices: {},
      }
      for (const field of item.items) {
        const key = keyOf(field)
        if (!ENTRY_KEYS.has(key))
          report(
            'UnknownField',
            `unknown field "${key}" (expected devices, device-filter, mig-enabled, mig-devices)`,
            locate(field.key as Node, `${entryPath}.${key}`),
          )
      }
      const devices = item.get('devices', true) as Node | undefined
      if (devices === undefined) {
        report(
          'MissingDevices',
          '`devices` is required: `all` or a list of GPU indices',
          locate(item, `${entryPath}.devices`),
        )
      } else if (isScalar(devices) && devices.value === 'all') {
        entry.devices = 'all'
      } else if (
        isSeq(devices) &&
        devices.items.every(
          (d) =>
            isScalar(d) &&
            Number.isInteger(d.value) &&
            (d.value as number) >= 0 &&
            (d.value as number) < MAX_GPUS_PER_NODE,
        )
      ) {
        entry.devices = devices.items.map((d) => (d as {value: number}).value)
      } else {
        report(
          'InvalidDevices',
          `\`devices\` must be \`all\` or a list of GPU indices 0–${MAX_GPUS_PER_NODE - 1}`,
          locate(devices, `${entryPath}.devices`),
        )
      }
      const filter = item.get('device-filter', true) as Node | undefined
      if (filter !== undefined) {
        const ids = isSeq(filter) ? filter.items : [filter]
        const parsed: string[] = []
        for (const id of ids) {
          const value = isScalar(id) ? String(id.value) : ''
          if (!/^0x[0-9a-f]{8}$/i.test(value)) {
            report(
              'InvalidDeviceFilter',
              `device-filter "${value}" is not a PCI device ID like 0x20B210DE (device id + vendor 10DE)`,
              locate(id as Node, `${entryPath}.device-filter`),
            )
          } else {
            parsed.push('0x' + value.slice(2).toUpperCase())
          }
        }
        entry.deviceFilter = parsed
      }
      const enabled = item.get('mig-enabled', true) as Node | undefined
      if (!isScalar(enabled) || typeof enabled.value !== 'boolean') {
        report(
          'InvalidMigEnabled',
          '`mig-enabled` is required and must be true or false',
          locate(enabled ?? item, `${entryPath}.mig-enabled`),
        )
      } else {
        entry.migEnabled = enabled.value
      }
      const migDevices = item.get('mig-devices', true) as Node | undefined
      if (migDevices !== undefined && !(isScalar(migDevices) && migDevices.value === null)) {
        if (!isMap(migDevices)) {
          report(
            'InvalidMigDevices',
            '`mig-devices` must be a map of profile → count, e.g. {"3g.40gb": 2}',
            locate(migDevices, `${entryPath}.mig-devices`),
          )
        } else {
          for (const device of migDevices.items) {
            const profile = keyOf(device)
            const count = device.value as Node | null
            const countValue = isScalar(count) ? count.value : undefined
            if (
              typeof countValue !== 'number' ||
              !Number.isInteger(countValue) ||
              countValue < 0 ||
              countValue > MAX_INSTANCES_PER_GPU
            ) {
              report(
                'InvalidCount',
                `count of "${profile}" must be a whole number 0–${MAX_INSTANCES_PER_GPU} (a GPU holds at most ${MAX_INSTANCES_PER_GPU} MIG instances); got ${String(countValue)}`,
                locate(count ?? (device.key as Node), `${entryPath}.mig-devices.${profile}`),
              )
              continue
            }
            entry.migDevices[profile] = countValue
          }
        }
      }
      if (!entry.migEnabled && Object.values(entry.migDevices).some((n) => n > 0)) {
        report(
          'MigDevicesWhileDisabled',
          '`mig-devices` is ignored while `mig-enabled: false`',
          locate(migDevices ?? item, `${entryPath}.mig-devices`),
          'warning',
        )
      }
      set.entries.push(entry)
    })
  }
  return {config, problems, fatal: false}
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
}

/** The supported GPU models an entry applies to (see the module comment), with a note when none. */
export function modelsOfEntry(entry: MigPartedEntry, gpu?: string): {models: string[]; note?: string} {
  const supported = listMigGpuModels().map((m) => m.name)
  if (entry.deviceFilter) {
    const models = [
      ...new Set(
        entry.deviceFilter.map((id) => findGpuModelByPciId(id)?.name).filter((m): m is string => m !== undefined),
      ),
    ]
    const selected = gpu ? models.filter((m) => m === findGpuModel(gpu)?.name) : models
    if (selected.length === 0) {
      return {
        models: [],
        note:
          gpu && models.length > 0
            ? `device-filter does not select ${findGpuModel(gpu)?.name ?? gpu}`
            : `device-filter ${entry.deviceFilter.join(', ')} names no GPU model gpu-scale models`,
      }
    }
    return {models: selected}
  }
  if (gpu) return {models: [findGpuModel(gpu)?.name ?? gpu]}
  const names = Object.keys(entry.migDevices)
  if (names.length === 0) return {models: supported}
  const models = supported.filter((m) => names.every((n) => findMigProfile(m, n)))
  return models.length > 0 ? {models} : {models: [], note: `no supported GPU model has all of ${names.join(', ')}`}
}

/**
 * Validates every entry of every config against the GPU models it applies to. `gpu` narrows the check to one
 * model: entries whose filter excludes it are skipped, and unfiltered entries must fit it.
 */
export function checkMigPartedConfig(text: string, file: string, options: {gpu?: string} = {}): MigPartedCheckResult {
  const {config, problems, fatal} = parseMigPartedConfig(text, file)
  const result: MigPartedCheckResult = {
    file,
    gpu: options.gpu ? (findGpuModel(options.gpu)?.name ?? options.gpu) : null,
    valid: false,
    configs: [],
    problems,
  }
  if (fatal) return result
  for (const set of config.configs) {
    const entries: EntryReport[] = []
    for (const entry of set.entries) {
      const entryReport: EntryReport = {
        index: entry.index,
        ...(entry.location.line !== undefined ? {line: entry.location.line} : {}),
        devices: entry.devices,
        deviceFilter: entry.deviceFilter,
        migEnabled: entry.migEnabled,
        migDevices: entry.migDevices,
        checks: [],
      }
      entries.push(entryReport)
      if (!entry.migEnabled) {
        entryReport.note = 'MIG disabled: whole GPUs'
        continue
      }
      const names = Object.keys(entry.migDevices)
      for (const name of names) {
        if (!isProfileNameShape(name)) {
          problems.push({
            severity: 'error',
            code: 'InvalidProfileName',
            message: `"${name}" is not a MIG profile name (expected <g>g.<memory>gb, e.g. 3g.40gb or 1g.10gb+me)`,
            location: {...entry.location, path: `${entry.location.path}.mig-devices.${name}`},
          })
        }
      }
      const {models, note} = modelsOfEntry(entry, options.gpu)
      if (note) entryReport.note = note
      if (models.length === 0 && !entry.deviceFilter && names.every(isProfileNameShape)) {
        problems.push({
          severity: 'warning',
          code: 'UnknownProfiles',
          message: `config "${set.name}" entry ${entry.index}: ${note ?? 'not checked'}; not checked`,
          location: entry.location,
        })
      }
      for (const model of models) {
        const requests = names.flatMap((name) =>
          Array.from({length: entry.migDevices[name] ?? 0}, () => ({profile: name})),
        )
        const unknown = names.find((name) => !findMigProfile(model, name))
        if (unknown) {
          const reason = `${model} has no MIG profile "${unknown}"`
          const location = {...entry.location, path: `${entry.location.path}.mig-devices.${unknown}`}
          if (!entry.deviceFilter && options.gpu) {
            // A config file is a menu: an unfiltered config written for other GPUs is only wrong if this node
            // is labelled with it (MIG Manager would then report failed).
            entryReport.note = `not for ${model}: ${reason}`
            problems.push({
              severity: 'warning',
              code: 'NotForThisGpu',
              message: `config "${set.name}" entry ${entry.index}: ${reason}; labelling a ${model} node with it would fail`,
              location,
            })
            continue
          }
          entryReport.checks.push({gpu: model, valid: false, placements: [], reason})
          problems.push({
            severity: 'error',
            code: 'UnknownProfile',
            message: `config "${set.name}" entry ${entry.index} on ${model}: ${reason}`,
            location,
          })
          continue
        }
        const outcome = checkInstances(model, requests)
        entryReport.checks.push({
          gpu: model,
          valid: outcome.valid,
          placements: outcome.placements,
          reason: outcome.reason,
        })
        if (!outcome.valid) {
          problems.push({
            severity: 'error',
            code: `Layout${outcome.code}`,
            message: `config "${set.name}" entry ${entry.index} on ${model}: ${outcome.reason}`,
            location: entry.location,
          })
        }
      }
    }
    result.configs.push({
      name: set.name,
      ...(set.location.line !== undefined ? {line: set.location.line} : {}),
      valid: entries.every((e) => e.checks.every((c) => c.valid)),
      entries,
    })
  }
  result.problems.sort(
    (a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0),
  )
  result.valid = !result.problems.some((p) => p.severity === 'error')
  return result
}

/**
 * The per-GPU profile counts a config gives a node's GPUs: for each GPU (index, model), the entry that selects
 * it (first match, as mig-parted's device selection does). Undefined for a GPU no entry selects.
 */
export function profilesOfConfigForGpu(
  set: MigPartedConfigSet,
  gpu: {index: number; model: string},
): {migEnabled: boolean; migDevices: Record<string, number>} | undefined {
  const model = findGpuModel(gpu.model)
  for (const entry of set.entries) {
    if (entry.devices !== 'all' && !entry.devices.includes(gpu.index)) continue
    if (entry.deviceFilter && !entry.deviceFilter.some((id) => model?.pciDeviceIds.includes(id))) continue
    return {migEnabled: entry.migEnabled, migDevices: entry.migDevices}
  }
  return undefined
}
