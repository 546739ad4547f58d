/**
 * The `mig check` use cases: a list of instances on one GPU model, or a whole mig-parted config file. Turns the
 * core's geometry errors into user-fixable errors with a hint.
 */
import {readMigPartedFile} from '../adapters/mig-parted-file.js'
import {UserError, ValidationError} from '../core/errors.js'
import {
  checkInstances,
  checkMigPartedConfig,
  type CheckResult,
  type MigPartedCheckResult,
  parseInstanceRequest,
  requireMigModel,
  UnknownProfileError,
} from '../core/mig/index.js'

export async function checkMigPartedFile(path: string, gpu?: string): Promise<MigPartedCheckResult> {
  if (gpu) requireMigModel(gpu)
  const text = await readMigPartedFile(path)
  const result = checkMigPartedConfig(text, path, gpu ? {gpu} : {})
  if (result.configs.length === 0 && result.problems.some((p) => p.severity === 'error')) {
    throw new ValidationError(`${path} is not a mig-parted v1 config`, result.problems)
  }
  return result
}

export function checkMigInstances(gpu: string | undefined, specs: readonly string[]): CheckResult {
  const model = requireMigModel(gpu)
  if (specs.length === 0)
    throw new UserError('no instances to check', {
      hint: 'e.g. gpu-scale mig check --gpu A100-80GB 3g.40gb 2g.20gb@0, or --config FILE',
    })
  try {
    return checkInstances(
      model.name,
      specs.map((s) => parseInstanceRequest(s)),
    )
  } catch (error) {
    if (error instanceof UnknownProfileError)
      throw new UserError(error.message, {hint: `see \`gpu-scale mig profiles --gpu ${model.name}\``})
    if (error instanceof Error) throw new UserError(error.message)
    throw error
  }
}
