/** The validate use case: read a policy config file and report every problem at once (never the first only). */
import {checkConfigFile} from '../adapters/config-file.js'
import {summarizeProblems, type ValidationReport} from '../core/config/report.js'

export async function validateConfigFile(path: string): Promise<ValidationReport> {
  const {file, problems, config} = await checkConfigFile(path)
  return summarizeProblems(file, problems, config)
}
