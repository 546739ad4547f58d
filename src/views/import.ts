/** The imported config as YAML to paste into gpu-scale.yaml, headed by where it came from. */
import type {ImportResult} from '../core/import/translate.js'
import {renderYaml} from './output.js'

export function renderImport(result: ImportResult): string {
  const {kind, namespace, name, from} = result.source
  const header = [
    `# gpu-scale config imported from ${kind} ${namespace}/${name} (${from}).`,
    '# Add the model under `models:` of gpu-scale.yaml (and the settings under `settings:`);',
    '# `algorithm: hpa` decides as the autoscaler does. Check it with: gpu-scale validate -c gpu-scale.yaml',
  ]
  return `${header.join('\n')}\n${renderYaml(result.config)}`
}
