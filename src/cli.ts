#!/usr/bin/env node
/**
 * ips-depot COMMAND …: finds the command, parses its arguments, runs it.
 * The commands are in src/cli/commands.ts.
 */
import { ConfigError } from './errors.js'
import { COMMANDS } from './cli/commands.js'
import { parseCommand, UsageError, usageOf } from './cli/command.js'
import { nearest } from './nearest.js'
import { VERSION } from './version.js'

function overview (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length))
  return `usage: ips-depot COMMAND [OPTIONS]

${COMMANDS.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

ips-depot COMMAND --help shows a command's options; ips-depot --version its version.
`
}

async function main (argv: string[]): Promise<number | null> {
  const [name, ...rest] = argv
  if (name === '--version' || name === '-V') { console.log(`ips-depot ${VERSION}`); return 0 }
  if (name === '--help' || name === '-h' || name === 'help') { process.stdout.write(overview()); return 0 }
  if (name === undefined) { process.stderr.write(overview()); return 2 }
  const command = COMMANDS.find(c => c.name === name)
  if (command === undefined) {
    const near = nearest(name, COMMANDS.map(c => c.name))
    throw new UsageError(`unknown command '${name}'${near === undefined ? '' : `; did you mean '${near}'?`} (ips-depot --help lists them)`)
  }
  const parsed = parseCommand(command, rest)
  return parsed === null ? 0 : await command.run(parsed.values, parsed.args)
}

main(process.argv.slice(2)).then(code => { if (code !== null) process.exitCode = code }, (err: Error) => {
  if (err instanceof UsageError) {
    process.stderr.write(`ips-depot${err.command === undefined ? '' : ` ${err.command.name}`}: ${err.message}\n${err.command === undefined ? '' : `\n${usageOf(err.command)}`}`)
    process.exitCode = 2
    return
  }
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : `ips-depot: ${err.message}`)
  process.exitCode = 1
})
