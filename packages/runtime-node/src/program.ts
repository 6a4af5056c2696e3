import { Command, CommanderError, Option } from 'commander';
import type { BackendLogger, BackendSelection } from '@emoje/core';
import { NODE_BACKENDS, initBackend, type NodeBackendName } from './backend';
import { BUILTIN_COMMANDS } from './commands';
import { VERSION } from './version';

/** Where a command writes: `out` for results (stdout), `err` for diagnostics (stderr). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/** What every command gets besides the program: its output streams and backend start-up. */
export interface CliContext {
  readonly io: CliIO;
  /**
   * Selects the tfjs backend honouring the global `--backend` and `--verbose` options of
   * `command` (pass the subcommand the action received).
   */
  initBackend(command: Command): Promise<BackendSelection>;
}

/**
 * Adds one command (or a group) to the program, e.g.
 * `(program, ctx) => { program.command('train').option(...).action(async (opts, cmd) => { await ctx.initBackend(cmd); ... }) }`.
 */
export type CommandRegistrar = (program: Command, context: CliContext) => void;

/** Options of {@link createProgram}. */
export interface CreateProgramOptions {
  /** The commands to register, in help order. Defaults to {@link BUILTIN_COMMANDS}. */
  commands?: readonly CommandRegistrar[];
  /** Output streams. Defaults to `process.stdout` / `process.stderr`. */
  io?: Partial<CliIO>;
  /** Throw a `CommanderError` instead of calling `process.exit` (for tests and embedding). Defaults to false. */
  exitOverride?: boolean;
}

/** The global options every command sees through `command.optsWithGlobals()`. */
export interface GlobalOptions {
  backend?: NodeBackendName;
  verbose?: boolean;
}

const contexts = new WeakMap<Command, CliContext>();

function defaultIO(): CliIO {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

/**
 * Builds the `emoje` command-line program: global options (`--backend`, `--verbose`,
 * `--version`, `--help`) and then each registrar in `commands`, in order.
 * @returns a commander `Command`; run it with `parseAsync(process.argv)` or use {@link runCli}.
 */
export function createProgram(options: CreateProgramOptions = {}): Command {
  const io: CliIO = { ...defaultIO(), ...options.io };
  const program = new Command('emoje');
  program
    .description('AM²-EmoJE multimodal emotion recognition on TensorFlow.js')
    .version(VERSION, '-V, --version', 'print the emoje version')
    .helpOption('-h, --help', 'show help')
    .addOption(new Option('--backend <name>', 'force a tfjs backend instead of the best available').choices([...NODE_BACKENDS]))
    .option('--verbose', 'log backend selection details to stderr', false)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  if (options.exitOverride) program.exitOverride();

  const context: CliContext = {
    io,
    initBackend: (command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const logger: BackendLogger = {
        debug: globals.verbose ? (message) => io.err(`${message}\n`) : () => undefined,
        warn: (message) => io.err(`${message}\n`),
      };
      return initBackend({ backend: globals.backend, logger });
    },
  };
  contexts.set(program, context);
  for (const register of options.commands ?? BUILTIN_COMMANDS) registerCommand(program, register);
  return program;
}

/**
 * Registers one more command on a program made by {@link createProgram}, handing it the
 * program's {@link CliContext}.
 * @returns the program, for chaining.
 * @throws Error when `program` was not made by {@link createProgram}.
 */
export function registerCommand(program: Command, register: CommandRegistrar): Command {
  const context = contexts.get(program);
  if (!context) throw new Error('registerCommand: the program must come from createProgram()');
  register(program, context);
  return program;
}

/** The {@link CliContext} of a program made by {@link createProgram}. */
export function cliContext(program: Command): CliContext | undefined {
  return contexts.get(program);
}

/**
 * Builds the program with `exitOverride` and runs `argv` (as in `process.argv`): what the
 * `emoje` bin does.
 * @returns the exit code: 0 on success and for `--help`/`--version`, commander's code for usage
 * errors, 1 for failures (their message is written to stderr as `emoje: <message>`).
 */
export async function runCli(argv: readonly string[], options: Omit<CreateProgramOptions, 'exitOverride'> = {}): Promise<number> {
  const program = createProgram({ ...options, exitOverride: true });
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const io = contexts.get(program)?.io ?? defaultIO();
    io.err(`emoje: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
