import type { Command } from 'commander';
import { evaluateProtocols } from '@emoje/model';
import { loadNamedDataset } from '../datasets';
import { loadModelFromFlag } from './model-path';
import type { CommandRegistrar } from '../program';
import { renderEvaluationReport } from '../report';
import { datasetForModel } from '../sentence-features';
import { cacheDirFrom, formatEmbeddingStats } from './embedding';
import { EMBEDDING_CACHE_HELP, parseInteger } from './options';
import { addDataOptions, mediaOptions, type DataCommandOptions } from './data-options';

/** `emoje eval`: both missing-modality protocols of a saved model on a dataset split. */
export const registerEvalCommand: CommandRegistrar = (program, context) => {
  const command = program
    .command('eval')
    .description('evaluate a saved model (or ensemble) on every modality scenario and missing rate')
    .requiredOption('--model <dir>', 'folder of a saved model or ensemble')
    .requiredOption('--dataset <name>', 'dataset to evaluate on: mosi or meld (bundled), or the path of a dialogue JSON Lines file')
    .option('--split <name>', 'split to evaluate: test or dev', 'test')
    .option('--seed <n>', 'seed of the random missing patterns', parseInteger('--seed', 0), 1)
    .option('--embedding-cache <dir>', EMBEDDING_CACHE_HELP)
    .option('--json', 'print the results as JSON', false);
  addDataOptions(command, { maxUtterances: false }).action(
    async (options: { model: string; dataset: string; split: string; seed: number; json: boolean; embeddingCache?: string } & DataCommandOptions, command: Command) => {
      await context.initBackend(command);
      if (options.split !== 'test' && options.split !== 'dev') {
        throw new Error(`--split must be test or dev, got ${JSON.stringify(options.split)}`);
      }
      const model = await loadModelFromFlag('--model', options.model);
      try {
        // Dialogues longer than the model accepts are refused while the file is read, naming their line.
        const loaded = await loadNamedDataset(options.dataset, {
          warn: (line) => context.io.err(`warning: ${line}\n`),
          maxUtterances: model.config.maxUtterances,
          media: mediaOptions(options),
        });
        // A model on sentence vectors gets the dataset's text embedded with its own encoder; other vectors are refused.
        const { dataset, stats } = await datasetForModel(loaded, model.config.modalities, {
          dir: cacheDirFrom(options.embeddingCache),
          log: (line) => context.io.err(`warning: ${line}\n`),
        });
        if (stats) context.io.err(formatEmbeddingStats(stats));
        // The dataset's classes and modalities must be the model's: every difference is listed in one error, before any scoring.
        const results = evaluateProtocols(model.networks, dataset[options.split as 'test' | 'dev'], { seed: options.seed, dataset });
        context.io.out(
          options.json
            ? `${JSON.stringify(results, null, 2)}\n`
            : renderEvaluationReport(results, dataset.classes, dataset.modalities.length, `${options.split} split of ${options.dataset}`),
        );
      } finally {
        model.dispose();
      }
    },
  );
};
