/**
 * What a CLI command declares (its usage, options and arguments) and the
 * parsing every command shares: `--help`/`-h` prints the command's usage,
 * an unknown option or a missing argument is named, an unknown command
 * gets the nearest one suggested.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

export type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | string[] | undefined>

export interface Command {
  readonly name: string
  /** One line for the overall usage. */
  readonly summary: string
  /** The synopsis after `ips-depot <name>`. */
  readonly synopsis: string
  /** What each option does, printed under the synopsis. */
  readonly details?: string
  readonly options: Options
  /** Names of the positional arguments, in order; a trailing `...` takes any number (at least one), `...?` any number. */
  readonly args?: readonly string[]
  /** Options that must be given, with the value they name in the usage. */
  readonly required?: readonly string[]
  /** Resolves to the exit code, or to null when the command keeps running (serve). */
  run (values: Values, args: string[]): Promise<number | null>
}

/** A usage error: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor (message: string, readonly command?: Command) { super(message) }
}

export function usageOf (c: Command): string {
  return `usage: ips-depot ${c.name} ${c.synopsis}\n\n${c.summary}${c.details === undefined ? '' : `\n\n${c.details}`}\n`
}

/** Parses a command's arguments; returns null when help was asked for (and printed). */
export function parseCommand (c: Command, argv: string[]): { values: Values, args: string[] } | null {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usageOf(c))
    return null
  }
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: argv, options: c.options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), c)
  }
  const names = (c.args ?? []).filter(n => !n.endsWith('...?'))
  const variadic = c.args?.at(-1)?.includes('...') === true
  const args = parsed.positionals
  if (args.length < names.length) throw new UsageError(`missing argument ${names[args.length]!.replace('...', '')}`, c)
  if (!variadic && args.length > names.length) throw new UsageError(`unexpected argument '${args[names.length]!}'`, c)
  for (const name of c.required ?? []) {
    if (parsed.values[name] === undefined) throw new UsageError(`missing --${name}`, c)
  }
  return { values: parsed.values as Values, args }
}
