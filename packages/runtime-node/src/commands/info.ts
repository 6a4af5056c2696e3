import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Command } from 'commander';
import type { BackendSelection } from '@emoje/core';
import { NATIVE_PACKAGES } from '../backend';
import type { CommandRegistrar } from '../program';
import { VERSION } from '../version';

/** What `emoje info --json` prints. */
export interface InfoReport {
  emoje: string;
  node: string;
  tfjsCore: string;
  tfjsLayers: string;
  backend: BackendSelection;
}

/** Collects the facts `emoje info` shows. */
export function infoReport(selection: BackendSelection): InfoReport {
  return { emoje: VERSION, node: process.version, tfjsCore: tf.version_core, tfjsLayers: tfl.version_layers, backend: selection };
}

/** Formats {@link InfoReport} as aligned `key: value` lines, then the attempts and a hint. */
export function formatInfo(report: InfoReport): string {
  const b = report.backend;
  const rows: Array<[string, string]> = [
    ['backend', b.backend],
    ['package', b.source],
    ['reason', b.reason],
  ];
  if (b.simd !== undefined) rows.push(['simd', b.simd ? 'on' : 'off']);
  if (b.threads !== undefined) rows.push(['threads', String(b.threads)]);
  rows.push(['tfjs-core', report.tfjsCore], ['tfjs-layers', report.tfjsLayers], ['emoje', report.emoje], ['node', report.node]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`);
  lines.push('attempts:');
  for (const a of b.attempts) lines.push(`  ${a.ok ? '+' : '-'} ${a.candidate} (${a.source}): ${a.reason}`);
  const nativeAbsent = b.backend !== 'tensorflow' && b.attempts.some((a) => a.absent && (NATIVE_PACKAGES as readonly string[]).includes(a.source));
  if (nativeAbsent) lines.push('hint: for native speed, npm install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu with CUDA)');
  return `${lines.join('\n')}\n`;
}

/** `emoje info [--json]`: selects the backend and prints it, why, and the tfjs versions. */
export const registerInfoCommand: CommandRegistrar = (program, context) => {
  program
    .command('info')
    .description('show the tfjs backend emoje would use, why, and the versions in use')
    .option('--json', 'print the report as JSON', false)
    .action(async (options: { json: boolean }, command: Command) => {
      const report = infoReport(await context.initBackend(command));
      context.io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatInfo(report));
    });
};
