import type { Command } from 'commander';
import { EmojeInputError } from '@emoje/core';
import { evaluateProtocols, train, trainEnsemble, type BlockSwitches, type EmojeEnsemble, type EmojeModel, type TrainResult } from '@emoje/model';
import { fileCheckpointStore } from '../checkpoint-store';
import { loadNamedDataset } from '../datasets';
import { saveModel } from '../fs-io';
import { presetFor, presetTrainOptions } from '../presets';
import { createModelForDataset } from '../text-modality';
import type { CommandRegistrar } from '../program';
import { createEnsembleProgress } from '../progress';
import { renderProtocolTable } from '../table';
import { embedDatasetText, cacheDirFrom } from './embedding';
import { EMBEDDING_CACHE_HELP, parseInteger, parseTextFeatures, type TextFeatures } from './options';

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
  ensemble: number;
  json: boolean;
  textFeatures: TextFeatures;
  embeddingCache?: string;
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
    .option('--ensemble <n>', 'train n models from seeds s, s+1000, ... and save them as one ensemble (probabilities averaged)', parseInteger('--ensemble', 1), 1)
    .option('--text-features <kind>', 'text as sentence vectors (use: USE-lite, 512-d) or as GloVe word vectors through the token encoder (glove)', parseTextFeatures, 'use')
    .option('--embedding-cache <dir>', EMBEDDING_CACHE_HELP)
    .option('--json', 'print the results as JSON', false)
    .action(async (options: TrainCommandOptions, command: Command) => {
      await context.initBackend(command);
      let dataset = await loadNamedDataset(options.dataset, { warn: (line) => context.io.err(`warning: ${line}\n`) });
      if (options.textFeatures === 'use') dataset = await embedDatasetText(dataset, cacheDirFrom(options.embeddingCache), context.io);
      const blocks: Partial<BlockSwitches> = {
        jointEmbedding: options.jointEmbedding,
        queryAdaptiveFusion: options.qaf,
        dialogueContext: options.context,
      };
      if (options.ensemble > 1 && (options.checkpoint || options.resume)) {
        throw new EmojeInputError('--checkpoint', 'no --checkpoint or --resume with --ensemble (train the members one by one to checkpoint each)', options.checkpoint ?? '--resume');
      }
      const preset = presetFor(dataset);
      const epochs = options.epochs ?? preset.train.epochs ?? 40;
      const createMember = async (seed: number) => (await createModelForDataset(dataset, { preset, blocks, seed })).model;
      const splits = { train: dataset.train, dev: dataset.dev };
      const progress = createEnsembleProgress(`train ${options.dataset}`, epochs, options.ensemble);
      let trained: EmojeModel | EmojeEnsemble | undefined;
      try {
        let results: TrainResult[];
        if (options.ensemble > 1) {
          const out = await trainEnsemble(createMember, splits, { ...presetTrainOptions(preset, epochs), ...progress.callbacks, seed: options.seed, members: options.ensemble });
          trained = out.ensemble;
          results = out.results;
        } else {
          const model = (trained = await createMember(options.seed));
          progress.callbacks.onMemberStart(0, options.seed);
          results = [
            await train(model, splits, {
              ...presetTrainOptions(preset, epochs),
              onStep: progress.callbacks.onStep,
              onEpochEnd: progress.callbacks.onEpochEnd,
              seed: options.seed,
              checkpoint: options.checkpoint ? fileCheckpointStore(options.checkpoint) : undefined,
              resume: options.resume,
            }),
          ];
        }
        progress.stop();
        await saveModel(trained, options.out);
        const test = evaluateProtocols(trained.networks, dataset.test, { seed: options.seed });
        const training = results.map((r) => ({ epochs: r.epochs, bestEpoch: r.bestEpoch, bestDevWeightedF1: r.bestDevWeightedF1, decisionBias: r.decisionBias }));
        if (options.json) {
          context.io.out(`${JSON.stringify({ model: options.out, training: options.ensemble > 1 ? training : training[0], test }, null, 2)}\n`);
        } else {
          const summary = training.map(
            (t) =>
              `best epoch ${t.bestEpoch} of ${t.epochs}, dev weighted F1 ${(100 * t.bestDevWeightedF1).toFixed(1)} %` +
              (t.decisionBias ? `, ${(100 * t.decisionBias.weightedF1After).toFixed(1)} % with the decision bias fitted on dev` : ''),
          );
          context.io.out(`saved ${options.out} (${options.ensemble > 1 ? `an ensemble of ${options.ensemble}: ${summary.join('; ')}` : summary[0]})\n`);
          context.io.out(`test split of ${options.dataset}:\n${renderProtocolTable(test)}`);
        }
      } finally {
        progress.stop();
        trained?.dispose();
      }
    });
};
