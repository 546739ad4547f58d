/**
 * oclif's help, except for a command that does not exist: `gpu-scale help plna` and `gpu-scale plna --help` get
 * the same suggestion and exit 1 as running it would, instead of oclif's exit 2 (which `plan --detailed-exitcode`
 * reserves for "the plan has changes").
 */
import {Errors, Help} from '@oclif/core'

import {EXIT} from '../core/exit-codes.js'
import {unknownCommandMessage} from './unknown-command.js'

export default class GpuScaleHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (error) {
      // oclif's help fails in one way only, a subject that is neither a command nor a topic; it uses error()'s
      // default exit code 2 for it.
      if (!(error instanceof Errors.CLIError) || error.oclif.exit !== 2) throw error
      const subject = argv.filter((arg) => !arg.startsWith('-') && arg !== 'help').join(':')
      process.stderr.write(unknownCommandMessage(this.config, subject))
      throw new Errors.ExitError(EXIT.error)
    }
  }
}
