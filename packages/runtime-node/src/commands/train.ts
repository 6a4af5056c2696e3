import type { Command } from 'commander';
import { EmojeInputError } from '@emoje/core';
import { evaluateProtocols, train, trainEnsemble, type BlockSwitches, type EmojeEnsemble, type EmojeModel, type TrainResult } from '@emoje/model';
import type { Checkpoint, CheckpointStore } from '@emoje/model';
import { fileCheckpointStore } from '../checkpoint-store';
import { loadNamedDataset } from '../datasets';
import { assertSeparateFolders, checkOutputFolder } from '../output-folder';
import { saveModelWithFallback } from '../save-fallback';
import { presetFor, presetTrainOptions } from '../presets';
import { createModelForDataset } from '../text-modality';
import type { CliIO, CommandRegistrar } from '../program';
import { createEnsembleProgress } from '../progress';
import { describeKeptWeights, renderDatasetSummary, renderEvaluationReport, renderVocabularyCoverage } from '../report';
import { embedDatasetText, cacheDirFrom } from './embedding';
import { EMBEDDING_CACHE_HELP, parseInteger, parseTextFeatures, type TextFeatures } from './options';
import { addDataOptions, mediaOptions, type DataCommandOptions } from './data-options';

interface TrainCommandOptions extends DataCommandOptions {
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
  const command = program
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
    .option('--json', 'print the results as JSON', false);
  addDataOptions(command).action(async (options: TrainCommandOptions, command: Command) => {
      // Every output check comes before the backend, the dataset and the first epoch.
      const checkpoint = await checkTrainOutputs(options, context.io);
      await context.initBackend(command);
      let dataset = await loadNamedDataset(options.dataset, {
        warn: (line) => context.io.err(`warning: ${line}\n`),
        maxUtterances: options.maxUtterances,
        media: mediaOptions(options),
      });
      if (options.textFeatures === 'use') dataset = await embedDatasetText(dataset, cacheDirFrom(options.embeddingCache), context.io);
      if (!options.json) context.io.out(renderDatasetSummary(dataset, options.dataset));
      const blocks: Partial<BlockSwitches> = {
        jointEmbedding: options.jointEmbedding,
        queryAdaptiveFusion: options.qaf,
        dialogueContext: options.context,
      };
      const preset = presetFor(dataset);
      const epochs = options.epochs ?? preset.train.epochs ?? 40;
      const overrides = options.maxUtterances ? { maxUtterances: options.maxUtterances } : undefined;
      let coverageShown = false;
      const createMember = async (seed: number) => {
        const { model, coverage } = await createModelForDataset(dataset, { preset, blocks, seed, overrides });
        if (!options.json && !coverageShown) context.io.out(renderVocabularyCoverage(coverage));
        coverageShown = true;
        return model;
      };
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
              checkpoint,
              resume: options.resume,
            }),
          ];
        }
        progress.stop();
        const skipped = results[0].skippedUtterances;
        if (skipped.train + skipped.dev > 0) {
          context.io.err(`warning: skipped ${skipped.train + skipped.dev} utterances with no usable modality (train ${skipped.train}, dev ${skipped.dev})\n`);
        }
        const saved = await saveModelWithFallback(trained, options.out);
        if (saved.failure) {
          context.io.err(`emoje: could not save the model to --out ${options.out} (${saved.failure.message}); saved it to ${saved.path} instead\n`);
        }
        const test = evaluateProtocols(trained.networks, dataset.test, { seed: options.seed, dataset });
        const training = results.map((r) => ({ epochs: r.epochs, bestEpoch: r.bestEpoch, bestDevWeightedF1: r.bestDevWeightedF1, averagedEpochs: r.averagedEpochs, decisionBias: r.decisionBias }));
        if (options.json) {
          context.io.out(`${JSON.stringify({ model: saved.path, training: options.ensemble > 1 ? training : training[0], test }, null, 2)}\n`);
        } else {
          const summary = training.map(describeKeptWeights);
          context.io.out(`saved ${saved.path} (${options.ensemble > 1 ? `an ensemble of ${options.ensemble}: ${summary.join('; ')}` : summary[0]})\n`);
          context.io.out(renderEvaluationReport(test, dataset.classes, dataset.modalities.length, `test split of ${options.dataset}`));
        }
        if (saved.failure) {
          throw new Error(`could not save the model to --out ${options.out} (${saved.failure.message}); the trained model is in ${saved.path}`);
        }
      } finally {
        progress.stop();
        trained?.dispose();
      }
    });
};

/**
 * Checks `--out`, `--checkpoint` and `--resume` before any training: each folder is missing, empty or holds what
 * emoje writes there, and its parent is writable; the two are apart; `--resume` finds a checkpoint (after repairing
 * what a killed write left).
 * @returns the checkpoint store to train with, if any; with `--resume` its first read returns the checkpoint found here.
 */
async function checkTrainOutputs(options: TrainCommandOptions, io: CliIO): Promise<CheckpointStore | undefined> {
  if (options.ensemble > 1 && (options.checkpoint || options.resume)) {
    throw new EmojeInputError('--checkpoint', 'no --checkpoint or --resume with --ensemble (train the members one by one to checkpoint each)', options.checkpoint ?? '--resume');
  }
  if (options.resume && !options.checkpoint) throw new EmojeInputError('--resume', 'a --checkpoint folder to resume from', 'no --checkpoint');
  await checkOutputFolder('--out', options.out, 'model');
  if (!options.checkpoint) return undefined;
  assertSeparateFolders('--out', options.out, '--checkpoint', options.checkpoint);
  const store = fileCheckpointStore(options.checkpoint);
  if (options.resume) {
    // Repair first: a kill between the renames of a checkpoint write leaves no folder but complete copies beside it.
    const found = await store.recover();
    if (found.restored) io.err(`emoje: recovered the checkpoint of epoch ${found.epoch} from ${found.restored}\n`);
  }
  await checkOutputFolder('--checkpoint', options.checkpoint, 'checkpoint');
  if (!options.resume) return store;
  const saved = await store.read();
  if (saved === null) {
    throw new EmojeInputError('--resume', `a checkpoint in --checkpoint ${options.checkpoint}`, 'a missing or empty folder', 'Drop --resume to start a new run');
  }
  let first: Checkpoint | null = saved;
  return {
    write: (checkpoint) => store.write(checkpoint),
    read: async () => {
      const out = first ?? (await store.read());
      first = null;
      return out;
    },
  };
}
