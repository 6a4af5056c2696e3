import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { BUILTIN_COMMANDS, VERSION, cliContext, createProgram, registerCommand, runCli, type CliIO, type CommandRegistrar } from './index';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

describe('emoje CLI', () => {
  it('--help lists the global options and the commands', async () => {
    const io = capture();
    const program = createProgram({ io, exitOverride: true });
    const error = await program.parseAsync(['node', 'emoje', '--help']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(0);
    const help = io.stdout.join('');
    expect(help).toContain('Usage: emoje [options] [command]');
    expect(help).toMatch(/--backend <name>/);
    expect(help).toContain('"tensorflow", "wasm", "cpu"');
    expect(help).toMatch(/\n\s+info \[options\]\s+show the tfjs backend/);
  });

  it('--version prints the package version', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', '--version'], { io })).toBe(0);
    expect(io.stdout.join('')).toBe(`${VERSION}\n`);
  });

  it('info prints the chosen backend, the reason and the tfjs version', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', 'info'], { io })).toBe(0);
    const text = io.stdout.join('');
    expect(text).toMatch(/^backend: +wasm$/m);
    expect(text).toMatch(/^package: +@tensorflow\/tfjs-backend-wasm$/m);
    expect(text).toMatch(/^reason: +fallback in the default order/m);
    expect(text).toMatch(/^tfjs-core: +4\.22\.\d+$/m);
    expect(text).toContain('- tensorflow (@tensorflow/tfjs-node-gpu): @tensorflow/tfjs-node-gpu is not installed');
    expect(text).toContain('hint: for native speed');
    expect(io.stderr).toEqual([]);
  });

  it('info --json and a forced backend', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', '--backend', 'cpu', 'info', '--json'], { io })).toBe(0);
    const report = JSON.parse(io.stdout.join(''));
    expect(report.backend.backend).toBe('cpu');
    expect(report.backend.reason).toBe("forced by options.backend = 'cpu'");
    expect(report.tfjsCore).toMatch(/^4\.22\./);
  });

  it('--verbose logs the backend selection to stderr', async () => {
    const io = capture();
    expect(await runCli(['node', 'emoje', '--verbose', 'info'], { io })).toBe(0);
    const log = io.stderr.join('');
    expect(log).toContain('emoje: tensorflow (@tensorflow/tfjs-node-gpu) not used: @tensorflow/tfjs-node-gpu is not installed');
    expect(log).toContain('emoje: using wasm (@tensorflow/tfjs-backend-wasm)');
  });

  it('rejects an unknown backend with a usage error', async () => {
    const io = capture();
    const code = await runCli(['node', 'emoje', '--backend', 'webgl', 'info'], { io });
    expect(code).not.toBe(0);
    expect(io.stderr.join('')).toContain("argument 'webgl' is invalid");
  });

  it('registers commands from separate modules, with the shared context', async () => {
    const seen: string[] = [];
    const hello: CommandRegistrar = (program, context) => {
      program
        .command('hello <name>')
        .description('say hello')
        .action(async (name: string, _opts: unknown, command) => {
          const selection = await context.initBackend(command);
          seen.push(selection.backend);
          context.io.out(`hello ${name}\n`);
        });
    };
    const io = capture();
    const program = createProgram({ io, exitOverride: true, commands: [...BUILTIN_COMMANDS] });
    registerCommand(program, hello);
    expect(cliContext(program)?.io).toBeDefined();
    await program.parseAsync(['node', 'emoje', '--backend', 'cpu', 'hello', 'ada']);
    expect(io.stdout.join('')).toBe('hello ada\n');
    expect(seen).toEqual(['cpu']);
    expect(() => registerCommand(new (program.constructor as new () => typeof program)(), hello)).toThrow('createProgram');
  });

  it('reports action failures as `emoje: <message>` with exit code 1', async () => {
    const boom: CommandRegistrar = (program) => {
      program.command('boom').action(() => {
        throw new Error('it broke');
      });
    };
    const io = capture();
    expect(await runCli(['node', 'emoje', 'boom'], { io, commands: [boom] })).toBe(1);
    expect(io.stderr.join('')).toBe('emoje: it broke\n');
  });

  it('runs as a process: `emoje --help` from src/cli.ts', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const run = spawnSync(process.execPath, ['--conditions=@emoje/source', '--import', tsx, join(here, 'cli.ts'), '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: emoje');
    expect(run.stdout).toContain('info');
  });
});
