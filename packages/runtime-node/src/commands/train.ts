import type { Command } from 'commander';
import { evaluateProtocols, train, type BlockSwitches } from '@emoje/model';
import { fileCheckpointStore } from '../checkpoint-store';
import { loadNamedDataset } from '../datasets';
import { saveModel } from '../fs-io';
import { presetFor, presetTrainOptions } from '../presets';
import { createModelForDataset } from '../text-modality';
import type { CommandRegistrar } from '../program';
import { createTrainingProgress } from '../progress';
import { renderProtocolTable } from '../table';
import { parseInteger } from './options';

interface TrainCommandOptions {
  dataset: string;
  out: string;
  epochs?: number;
  seed: number;
  jointEmbedding: boolean;
  qaf: boolean;
  context: boolean;
  checkpoint?: string;
  resume: boolean;
  json: boolean;
}

/** `emoje train`: trains on a dataset, saves the model, evaluates both missing-modality protocols on test. */
export const registerTrainCommand: CommandRegistrar = (program, context) => {
  program
    .command('train')
    .description('train a model on a dataset, save it, and print the test results table')
    .requiredOption('--dataset <name>', 'dataset to train on: mosi or meld (bundled), or the path of a dialogue JSON Lines file')
    .requiredOption('--out <dir>', 'folder to save the trained model in (written atomically)')
    .option('--epochs <n>', 'maximum epochs (early stopping on dev weighted F1)', parseInteger('--epochs', 1))
    .option('--seed <n>', 'seed of initialisation, shuffling and modality dropout', parseInteger('--seed', 0), 1)
    .option('--no-joint-embedding', 'ablation: no joint embedding (missing modalities = zeros + mask)')
    .option('--no-qaf', 'ablation: plain concatenation instead of query-adaptive fusion')
    .option('--no-context', 'ablation: no dialogue context')
    .option('--checkpoint <dir>', 'write a checkpoint after every epoch to this folder')
    .option('--resume', 'continue from the checkpoint in --checkpoint', false)
    .option('--json', 'print the results as JSON', false)
    .action(async (options: TrainCommandOptions, command: Command) => {
      await context.initBackend(command);
      const dataset = await loadNamedDataset(options.dataset, { warn: (line) => context.io.err(`warning: ${line}\n`) });
      const blocks: Partial<BlockSwitches> = {
        jointEmbedding: options.jointEmbedding,
        queryAdaptiveFusion: options.qaf,
        dialogueContext: options.context,
      };
      const preset = presetFor(dataset);
      const { model } = await createModelForDataset(dataset, { preset, blocks, seed: options.seed });
      const epochs = options.epochs ?? preset.train.epochs ?? 40;
      const progress = createTrainingProgress(`train ${options.dataset}`, epochs);
      try {
        const result = await train(model, { train: dataset.train, dev: dataset.dev }, {
          ...presetTrainOptions(preset, epochs),
          seed: options.seed,
          onStep: progress.onStep,
          onEpochEnd: progress.onEpochEnd,
          checkpoint: options.checkpoint ? fileCheckpointStore(options.checkpoint) : undefined,
          resume: options.resume,
        });
        progress.stop();
        await saveModel(model, options.out);
        const results = evaluateProtocols(model.network, dataset.test, { seed: options.seed });
        if (options.json) {
          context.io.out(`${JSON.stringify({ model: options.out, training: { epochs: result.epochs, bestEpoch: result.bestEpoch, bestDevWeightedF1: result.bestDevWeightedF1 }, test: results }, null, 2)}\n`);
        } else {
          context.io.out(`saved ${options.out} (best epoch ${result.bestEpoch} of ${result.epochs}, dev weighted F1 ${(100 * result.bestDevWeightedF1).toFixed(1)} %)\n`);
          context.io.out(`test split of ${options.dataset}:\n${renderProtocolTable(results)}`);
        }
      } finally {
        progress.stop();
        model.dispose();
      }
    });
};
