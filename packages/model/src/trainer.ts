import * as tf from '@tensorflow/tfjs-core';
import { EmojeInputError, SeededRandom, assertInteger, assertNumberInRange, assertOneOf } from '@emoje/core';
import { collate, disposeBatch, validateDialogue, type AvailabilityPolicy, type DialogueInput } from './batch';
import { packCheckpoint, unpackCheckpoint, type CheckpointStore } from './checkpoint';
import { evaluateUnchecked } from './evaluate';
import type { ClassificationMetrics } from './metrics';
import type { EmojeModel } from './model';
import { FlatAdamW } from './optimizer';
import { withoutUnusableUtterances } from './usable';
import { fitDecisionBias, resolveClassBiasSearch, type ClassBiasFit, type ClassBiasSearchOptions } from './calibration';

/** Modality dropout: how training learns to compensate for missing modalities. */
export interface ModalityDropoutOptions {
  /** Per utterance, drop each present modality with this probability (never all). Defaults to 0.3. */
  rate: number;
  /** Per batch, with this probability keep only a random non-empty subset of modalities. Defaults to 0.3. */
  scenarioRate: number;
}

export interface StepInfo {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  /** Learning rate of this step (see {@link TrainOptions.learningRateSchedule}). */
  learningRate: number;
}

export interface EpochInfo {
  epoch: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Dev metrics with all modalities (null without dev data). */
  dev: ClassificationMetrics | null;
  /** Best dev weighted F1 so far. */
  bestDevWeightedF1: number;
  seconds: number;
}

export interface TrainOptions {
  /** Passes over the training dialogues. Defaults to 40. */
  epochs?: number;
  /** Dialogues per batch. Defaults to 8. */
  batchSize?: number;
  /** Adam learning rate. Defaults to 5e-4 (the authors'). */
  learningRate?: number;
  /** Decoupled weight decay on kernels (AdamW style). Defaults to 2e-4 (the authors'). */
  weightDecay?: number;
  /** Clip gradients to this global norm; 0 = off. Defaults to 5. */
  clipNorm?: number;
  /** Stop after this many epochs without a better dev weighted F1. Defaults to 10. */
  patience?: number;
  /** Seed of shuffling and modality dropout. Defaults to 1. */
  seed?: number;
  /** `false` turns modality dropout off. Defaults to `{ rate: 0.3, scenarioRate: 0.3 }`. */
  modalityDropout?: Partial<ModalityDropoutOptions> | false;
  /** Called after every optimisation step. */
  onStep?: (info: StepInfo) => void;
  /** Called after every epoch (awaited). */
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
  /** Writes a checkpoint after every epoch. */
  checkpoint?: CheckpointStore;
  /** Continue from the store's checkpoint, if it has one. Defaults to false. */
  resume?: boolean;
  /**
   * Average the weights of the last this many epochs and keep the average at the end
   * (stochastic weight averaging, Izmailov et al. 2018) instead of the best dev epoch.
   * Helps when the dev split cannot rank epochs (see BENCHMARKS.md on MOSI). 0 = off. Defaults to 0.
   */
  averageLastEpochs?: number;
  /**
   * Keep an exponential moving average of the weights with this decay per step (Polyak averaging, as Keras
   * optimisers' `use_ema`, with the warm-up of `FlatAdamWOptions.averageDecay`) and use the average wherever the run's weights
   * are judged or kept: dev evaluation, early stopping, the best-epoch snapshot, `averageLastEpochs` and the final
   * weights. Training itself steps the raw weights, and checkpoints hold both. 0 = off. Defaults to 0.
   */
  emaDecay?: number;
  /** Fit the feature standardisation to the training data before the first epoch. Defaults to true. */
  adaptNormalization?: boolean;
  /** Stop after this many epochs of this call (the run can be resumed). Defaults to no limit. */
  maxEpochsThisRun?: number;
  /**
   * How the learning rate changes, step by step, over the `epochs` planned: `'constant'` (always `learningRate`),
   * `'cosine'` (half a cosine from `learningRate` at the first step down to `learningRate * minLearningRateRatio` at
   * the last step of the last epoch; SGDR without restarts, Loshchilov & Hutter 2017) or `'linear'` (a straight line
   * between the same two rates). The decoupled weight decay follows the same schedule. An early stop ends the run
   * where it is. Defaults to `'constant'`.
   */
  learningRateSchedule?: LearningRateSchedule;
  /** The last step's learning rate as a fraction of `learningRate`, for the decaying schedules. Defaults to 0.05. */
  minLearningRateRatio?: number;
  /**
   * Word dropout (Iyyer et al. 2015): while training, every real token of a token modality is replaced by `<unk>`
   * (id 1) with this probability, independently, drawn from the training seed. Padding stays padding, so the
   * masks do not change; evaluation never drops tokens. 0 = off. Defaults to 0.
   */
  tokenDropout?: number;
  /**
   * When the run ends with dev data, fit per-class offsets of the logits that maximise dev weighted F1 and keep them
   * as the model's decision bias (`fitDecisionBias`; applied in prediction and evaluation, saved with the model).
   * Class weights and the focal loss move predictions toward rare classes; this moves the decision back as far as
   * held-out data says weighted F1 gains. Training itself never sees the bias, and a run starts by removing any the
   * model had (it was fitted to other weights). Defaults to false.
   */
  fitDecisionBias?: boolean | ClassBiasSearchOptions;
}

/** Learning-rate schedules of {@link TrainOptions.learningRateSchedule}. */
export type LearningRateSchedule = 'constant' | 'cosine' | 'linear';
export const LEARNING_RATE_SCHEDULES: readonly LearningRateSchedule[] = ['constant', 'cosine', 'linear'];

/**
 * The learning rate of step `step` (0-based) of `totalSteps` under `schedule`: `base` at step 0, `base * minRatio`
 * at the last step for the decaying schedules (and after it, should a run go on).
 */
export function scheduledLearningRate(schedule: LearningRateSchedule, base: number, minRatio: number, step: number, totalSteps: number): number {
  if (schedule === 'constant') return base;
  const t = totalSteps <= 1 ? 1 : Math.min(1, Math.max(0, step / (totalSteps - 1)));
  const low = base * minRatio;
  const shape = schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * t)) : 1 - t;
  return low + (base - low) * shape;
}

export interface TrainResult {
  /** Epochs completed in total (resumed ones included). */
  epochs: number;
  /** Epoch (1-based) whose weights the model holds at the end (best on dev, or last without dev). */
  bestEpoch: number;
  bestDevWeightedF1: number;
  history: EpochInfo[];
  /** True when early stopping ended the run. */
  stoppedEarly: boolean;
  /** How many final epochs were averaged into the kept weights (0 = none, the best dev epoch was kept). */
  averagedEpochs: number;
  /** The decision bias fitted on dev at the end ({@link TrainOptions.fitDecisionBias}), or null when none was fitted. */
  decisionBias: ClassBiasFit | null;
  /** Utterances left out because no modality was present (e.g. their only media file was missing or broken), per split. */
  skippedUtterances: { train: number; dev: number };
}

interface ResolvedTrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  clipNorm: number;
  patience: number;
  seed: number;
  modalityDropout: ModalityDropoutOptions | false;
  learningRateSchedule: LearningRateSchedule;
  minLearningRateRatio: number;
  tokenDropout: number;
  emaDecay: number;
  /** The search of the decision bias, or null for none. */
  decisionBiasSearch: Required<ClassBiasSearchOptions> | null;
}

function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const resolved: ResolvedTrainOptions = {
    epochs: options.epochs ?? 40,
    batchSize: options.batchSize ?? 8,
    learningRate: options.learningRate ?? 5e-4,
    weightDecay: options.weightDecay ?? 2e-4,
    clipNorm: options.clipNorm ?? 5,
    patience: options.patience ?? 10,
    seed: options.seed ?? 1,
    modalityDropout: options.modalityDropout === false ? false : { rate: 0.3, scenarioRate: 0.3, ...options.modalityDropout },
    learningRateSchedule: options.learningRateSchedule ?? 'constant',
    minLearningRateRatio: options.minLearningRateRatio ?? 0.05,
    tokenDropout: options.tokenDropout ?? 0,
    emaDecay: options.emaDecay ?? 0,
    decisionBiasSearch: resolveDecisionBiasOption(options.fitDecisionBias),
  };
  assertInteger('options.epochs', resolved.epochs, 1);
  assertInteger('options.batchSize', resolved.batchSize, 1);
  assertNumberInRange('options.learningRate', resolved.learningRate, 1e-8, 1);
  assertNumberInRange('options.weightDecay', resolved.weightDecay, 0, 1);
  assertNumberInRange('options.clipNorm', resolved.clipNorm, 0, 1e6);
  assertInteger('options.patience', resolved.patience, 1);
  assertInteger('options.seed', resolved.seed, 0);
  assertOneOf('options.learningRateSchedule', resolved.learningRateSchedule, LEARNING_RATE_SCHEDULES);
  assertNumberInRange('options.minLearningRateRatio', resolved.minLearningRateRatio, 0, 1);
  assertNumberInRange('options.tokenDropout', resolved.tokenDropout, 0, 0.95);
  assertNumberInRange('options.emaDecay', resolved.emaDecay, 0, 0.99999);
  if (resolved.modalityDropout) {
    assertNumberInRange('options.modalityDropout.rate', resolved.modalityDropout.rate, 0, 1);
    assertNumberInRange('options.modalityDropout.scenarioRate', resolved.modalityDropout.scenarioRate, 0, 1);
  }
  return resolved;
}

function resolveDecisionBiasOption(value: TrainOptions['fitDecisionBias']): Required<ClassBiasSearchOptions> | null {
  if (value === undefined || value === false) return null;
  if (value === true) return resolveClassBiasSearch({});
  if (typeof value !== 'object') throw new EmojeInputError('options.fitDecisionBias', 'true, false or { range?, step?, rounds? }', JSON.stringify(value));
  return resolveClassBiasSearch(value, 'options.fitDecisionBias');
}

/** The modality-dropout policy of one batch (see {@link ModalityDropoutOptions}). */
function trainingPolicy(options: ModalityDropoutOptions | false, numModalities: number, rng: SeededRandom): AvailabilityPolicy | undefined {
  if (!options) return undefined;
  let subset: boolean[] | null = null;
  if (numModalities > 1 && rng.next() < options.scenarioRate) {
    const mask = 1 + rng.int((1 << numModalities) - 1);
    subset = Array.from({ length: numModalities }, (_, k) => (mask & (1 << k)) !== 0);
  }
  return (_d, _u, present) => {
    let kept = subset ? present.map((p, k) => p && subset![k]) : present.slice();
    if (!kept.some(Boolean)) kept = present.slice();
    const dropped = kept.map((k) => k && rng.next() >= options.rate);
    if (dropped.some(Boolean)) return dropped;
    const candidates = kept.flatMap((k, i) => (k ? [i] : []));
    const out = kept.map(() => false);
    out[candidates[rng.int(candidates.length)]] = true;
    return out;
  };
}

/** The random generators the layers draw dropout seeds from, found on each layer, for exact resume. */
function layerGenerators(model: EmojeModel): SeededRandom[] {
  return model.network.layers.flatMap((layer) => Object.values(layer).filter((v): v is SeededRandom => v instanceof SeededRandom));
}

/**
 * Trains `model` on `data.train` with the design's losses, modality dropout, Adam with
 * decoupled weight decay and early stopping on dev weighted F1 (restoring the best
 * weights). Reproducible for a given seed on the CPU backends. Every epoch can be
 * checkpointed and a run resumed exactly where it stopped.
 */
export async function train(
  model: EmojeModel,
  data: { train: readonly DialogueInput[]; dev?: readonly DialogueInput[] },
  options: TrainOptions = {},
): Promise<TrainResult> {
  const opts = resolveTrainOptions(options);
  const { modalities, classes, maxSpeakers, maxUtterances } = model.config;
  if (!data || !Array.isArray(data.train) || data.train.length === 0) {
    throw new EmojeInputError('data.train', 'a non-empty array of dialogues', JSON.stringify(data?.train?.length));
  }
  data.train.forEach((d, i) => validateDialogue(d, modalities, classes.length, `train[${i}]`, maxSpeakers, maxUtterances, { allowUnusable: true }));
  (data.dev ?? []).forEach((d, i) => validateDialogue(d, modalities, classes.length, `dev[${i}]`, maxSpeakers, maxUtterances, { allowUnusable: true }));
  // Utterances with no modality at all (their media missing or broken) are skipped and counted, not fatal.
  const usableTrain = withoutUnusableUtterances(data.train, modalities);
  const usableDev = withoutUnusableUtterances(data.dev ?? [], modalities);
  const skippedUtterances = { train: usableTrain.skipped, dev: usableDev.skipped };
  if (usableTrain.dialogues.length === 0) {
    throw new EmojeInputError('data.train', 'at least one utterance with a present modality', `${usableTrain.skipped} utterances, none with any modality`);
  }
  data = { train: usableTrain.dialogues, dev: data.dev ? usableDev.dialogues : undefined };
  if (!data.train.some((d) => d.utterances.some((u: { label?: number | null }) => u.label != null))) {
    throw new EmojeInputError('data.train[].utterances[].label', 'at least one labeled utterance', 'no labels');
  }

  const network = model.network;
  const state = network.weights.map((w) => w.read() as tf.Variable);
  const weights = network.weights.filter((w) => w.trainable);
  const variables = weights.map((w) => w.read() as tf.Variable);
  const decayed = weights.map((w) => /kernel|embedding/i.test(w.name));
  const optimizer = new FlatAdamW(variables, {
    learningRate: opts.learningRate, weightDecay: opts.weightDecay, decayed, clipNorm: opts.clipNorm, averageDecay: opts.emaDecay,
  });
  const rng = new SeededRandom(opts.seed);
  const generators = layerGenerators(model);
  const hasDev = (data.dev?.length ?? 0) > 0;

  let epoch = 0;
  let bestScore = -1;
  let bestEpoch = 0;
  let sinceBest = 0;
  let history: EpochInfo[] = [];
  let best: tf.Tensor[] | null = null;
  let average: tf.Tensor[] | null = null;
  let averaged = 0;
  let resumed = false;
  const averageLast = options.averageLastEpochs ?? 0;
  assertInteger('options.averageLastEpochs', averageLast, 0, opts.epochs);

  if (options.resume && options.checkpoint) {
    const saved = await options.checkpoint.read();
    if (saved) {
      const meta = saved.meta as {
        epoch: number; bestScore: number; bestEpoch: number; sinceBest: number; history: EpochInfo[];
        rng: number; generators: number[]; numVariables: number; hasBest: boolean; averaged?: number;
      };
      if (meta.numVariables !== state.length) {
        throw new EmojeInputError('checkpoint', `a checkpoint of this model (${state.length} weights)`, `${meta.numVariables} weights`);
      }
      const tensors = unpackCheckpoint(saved);
      state.forEach((v, i) => v.assign(tensors[`weight/${i}`]));
      best = meta.hasBest ? state.map((_, i) => tf.clone(tensors[`best/${i}`])) : null;
      averaged = meta.averaged ?? 0;
      average = averaged > 0 ? state.map((_, i) => tf.clone(tensors[`average/${i}`])) : null;
      resumed = true;
      optimizer.setWeights(Object.keys(tensors).filter((k) => k.startsWith('optimizer/')).map((k) => ({ name: k, tensor: tensors[k] })));
      tf.dispose(Object.values(tensors));
      ({ epoch, bestScore, bestEpoch, sinceBest, history } = meta);
      rng.setState(meta.rng);
      generators.forEach((g, i) => g.setState(meta.generators[i]));
    }
  }

  if (!resumed && (options.adaptNormalization ?? true)) network.adaptNormalization(data.train);
  // Dev scores judge the weights alone; a bias fitted to earlier weights would skew them.
  network.setDecisionBias(null);
  const startEpoch = epoch;
  let stoppedEarly = hasDev && sinceBest >= opts.patience;
  let useAverage = false;
  let finished = false;
  // Every path out, errors included (a diverged loss, a failing callback or checkpoint write), frees the snapshots and the optimiser state.
  try {
    while (epoch < opts.epochs && !stoppedEarly) {
      if (options.maxEpochsThisRun != null && epoch - startEpoch >= options.maxEpochsThisRun) break;
      const started = Date.now();
      const order = rng.shuffle(data.train);
      const stepsPerEpoch = Math.ceil(order.length / opts.batchSize);
      let lossSum = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const dialogues = order.slice(step * opts.batchSize, (step + 1) * opts.batchSize);
        const learningRate = scheduledLearningRate(opts.learningRateSchedule, opts.learningRate, opts.minLearningRateRatio, epoch * stepsPerEpoch + step, opts.epochs * stepsPerEpoch);
        // The optimiser reads its rate (and the decay that scales with it) on every step.
        optimizer.learningRate = learningRate;
        const batch = collate(
          dialogues,
          modalities,
          trainingPolicy(opts.modalityDropout, modalities.length, rng),
          opts.tokenDropout > 0 ? { rate: opts.tokenDropout, rng } : undefined,
        );
        let loss: number;
        try {
          loss = tf.tidy(() => {
            const { value, grads } = tf.variableGrads(() => network.losses(network.forward(batch, true), batch).total, variables);
            // Clipping to the global norm and the decoupled weight decay happen inside the optimiser.
            optimizer.applyGradients(grads);
            return value.dataSync()[0];
          });
        } finally {
          disposeBatch(batch);
        }
        if (!Number.isFinite(loss)) {
          throw new Error(`training diverged: loss is ${loss} at epoch ${epoch + 1}, step ${step + 1}; lower the learning rate`);
        }
        lossSum += loss;
        options.onStep?.({ epoch: epoch + 1, step: step + 1, stepsPerEpoch, loss, learningRate });
      }
      epoch += 1;

      // With the moving average on, the epoch is judged (and snapshotted) on the averaged weights; training goes on from the raw ones.
      const raw = optimizer.hasAverage ? variables.map((v) => tf.clone(v)) : null;
      if (raw) optimizer.assignAverage();
      let dev: ClassificationMetrics | null;
      try {
        dev = hasDev ? evaluateUnchecked(network, data.dev!) : null; // validated before the first epoch
        const score = dev ? dev.weightedF1 : -1;
        // Ties go to the later epoch: a dev set that saturates (MOSI's, see BENCHMARKS.md) then keeps the most-trained weights.
        if (!hasDev || score >= bestScore) {
          bestScore = hasDev ? score : bestScore;
          bestEpoch = epoch;
          sinceBest = 0;
          if (hasDev) {
            tf.dispose(best ?? []);
            best = state.map((v) => tf.clone(v));
          }
        } else {
          sinceBest += 1;
        }
        if (averageLast > 0 && epoch > opts.epochs - averageLast) {
          const previous = average;
          average = tf.tidy(() => state.map((v, i) => (previous ? tf.add(previous[i], tf.div(tf.sub(v, previous[i]), averaged + 1)) : tf.clone(v))));
          tf.dispose(previous ?? []);
          averaged += 1;
        }
      } finally {
        if (raw) {
          variables.forEach((v, i) => v.assign(raw[i]));
          tf.dispose(raw);
        }
      }
      const info: EpochInfo = { epoch, loss: lossSum / stepsPerEpoch, dev, bestDevWeightedF1: bestScore, seconds: (Date.now() - started) / 1000 };
      history = [...history, info];
      await options.onEpochEnd?.(info);
      if (hasDev && sinceBest >= opts.patience) stoppedEarly = true;

      if (options.checkpoint) {
        const optimizerWeights = optimizer.getWeights();
        const checkpoint = await packCheckpoint(
          {
            epoch, bestScore, bestEpoch, sinceBest, history, rng: rng.getState(),
            generators: generators.map((g) => g.getState()), numVariables: state.length, hasBest: best != null, averaged,
          },
          [
            ...state.map((v, i) => ({ name: `weight/${i}`, tensor: v as tf.Tensor })),
            ...(best ?? []).map((t, i) => ({ name: `best/${i}`, tensor: t })),
            ...(average ?? []).map((t, i) => ({ name: `average/${i}`, tensor: t })),
            ...optimizerWeights.map((w) => ({ name: `optimizer/${w.name}`, tensor: w.tensor })),
          ],
        );
        tf.dispose(optimizerWeights.map((w) => w.tensor));
        await options.checkpoint.write(checkpoint);
      }
    }

    finished = epoch >= opts.epochs || stoppedEarly;
    useAverage = finished && average != null && !stoppedEarly;
    if (useAverage) state.forEach((v, i) => v.assign(average![i]));
    else if (finished && best) state.forEach((v, i) => v.assign(best![i]));
    else if (finished && optimizer.hasAverage) optimizer.assignAverage();
  } finally {
    tf.dispose([...(best ?? []), ...(average ?? [])]);
    optimizer.dispose();
  }
  const fitBias = finished && hasDev && opts.decisionBiasSearch && data.dev!.some((d) => d.utterances.some((u: { label?: number | null }) => u.label != null));
  const decisionBias = fitBias ? fitDecisionBias(network, data.dev!, opts.decisionBiasSearch!) : null;
  return { epochs: epoch, bestEpoch, bestDevWeightedF1: bestScore, history, stoppedEarly, averagedEpochs: useAverage ? averaged : 0, decisionBias, skippedUtterances };
}
