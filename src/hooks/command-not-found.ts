/**
 * An unknown command: say which command was probably meant, and exit 1 (bad input). oclif's default is exit 2,
 * and @oclif/plugin-not-found's is 127; 2 is what `plan --detailed-exitcode` uses for "the plan has changes", so a
 * CI gate would read a typo as pending changes.
 *
 * On an interactive terminal @oclif/plugin-not-found asks "Did you mean plan?" and runs the command on yes, as
 * oclif users expect; only its exit code is changed. Off a terminal (CI, scripts) it would print no suggestion at
 * all, so the suggestion is computed here and printed with the error.
 */
import {Errors, type Hook} from '@oclif/core'
import askDidYouMean from '@oclif/plugin-not-found'

import {unknownCommandMessage} from '../cli/unknown-command.js'
import {EXIT} from '../core/exit-codes.js'

const hook: Hook.CommandNotFound = async function (options) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    try {
      return await askDidYouMean.call(this, options)
    } catch (error) {
      if (error instanceof Errors.CLIError && error.oclif.exit !== EXIT.error) throw new Errors.ExitError(EXIT.error)
      throw error
    }
  }
  process.stderr.write(unknownCommandMessage(options.config, options.id))
  throw new Errors.ExitError(EXIT.error)
}

export default hook
