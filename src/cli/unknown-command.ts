/**
 * The one message for a command that does not exist, whether it was run (`gpu-scale plna`) or asked about
 * (`gpu-scale help plna`, `gpu-scale plna --help`): what was typed, the closest command, and where the list is.
 * Both exit 1 (see src/hooks/command-not-found.ts for why never 2).
 */
import {type Interfaces, toConfiguredId} from '@oclif/core'

import {closestCommand} from './suggest.js'

export function unknownCommandMessage(config: Interfaces.Config, id: string): string {
  const visible = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const suggestion = closestCommand(id, visible)
  const didYouMean =
    suggestion === undefined ? '' : `; did you mean \`${config.bin} ${toConfiguredId(suggestion, config)}\`?`
  return `error: \`${toConfiguredId(id, config)}\` is not a ${config.bin} command${didYouMean}\nhint: see \`${config.bin} help\` for the list of commands\n`
}
