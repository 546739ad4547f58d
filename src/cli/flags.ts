/** Flags shared by several commands, spelled the same everywhere (kubectl spellings where they overlap). */
import {Flags} from '@oclif/core'

export const configFlag = Flags.string({char: 'c', summary: 'Policy config file (default ./gpu-scale.yaml; with --sim, the built-in policy).', env: 'GPU_SCALE_CONFIG'})
export const snapshotFlag = Flags.string({summary: 'Plan from a captured cluster snapshot (JSON or YAML; - for stdin).', env: 'GPU_SCALE_SNAPSHOT', exclusive: ['sim']})
export const simFlag = Flags.boolean({summary: 'Use the built-in simulated cluster (a small inference fleet where every layer has work).', env: 'GPU_SCALE_SIM'})
export const scenarioFlag = Flags.string({summary: 'With --sim: plan this scenario\'s twin (a shipped name or a file), run with gpu-scale in the loop up to --at.'})
export const atFlag = Flags.string({summary: 'With --scenario: the moment to plan, after the scenario\'s start (35m, 2h; default 0s).'})
