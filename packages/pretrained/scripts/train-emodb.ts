/**
 * Trains the bundled speech-emotion model on EmoDB and writes it to assets/emodb/ (model.json, weights.bin) with its
 * figures beside it (metrics.json). Run from the repo root:
 *   npm run pretrain:emodb
 *
 * Features: `audioFunctionals` (163-d) of every clip, with no per-speaker normalisation (a user gives one clip of an
 * unknown speaker). Model and training: `AUDIO_PRESET` of @emoje/runtime-node, seed 1. Training speakers: all but 16;
 * speaker 16 (the one with most clips) is the dev speaker for early stopping. Its speaker-independent accuracy is
 * measured by bench:speech with the same features and preset (`--no-speaker-norm`, results in
 * benchmarks/results/speech-no-speaker-norm.json), quoted in metrics.json and the catalog.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { leaveOneSpeakerOutFolds, emodbFoldDataset, EMODB_SPEAKERS } from '@emoje/datasets';
import { loadEmodb } from '@emoje/datasets/node';
import { audioFunctionals, extractAudioFeatures, AUDIO_FUNCTIONALS_WIDTH } from '@emoje/encoders';
import { predictLabels, train } from '@emoje/model';
import { AUDIO_PRESET, createModelForDataset, initBackend, presetTrainOptions, saveModel, writeFileAtomic } from '@emoje/runtime-node';
import { assetsDir } from '../src/node';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, dev: { type: 'string', default: '16' } } });
const seed = Number(values.seed);
const backend = await initBackend();
const corpus = await loadEmodb();
const features = new Map(corpus.utterances.map((u) => [u.id, audioFunctionals(extractAudioFeatures(u.samples, corpus.sampleRate))]));
// all speakers but the dev speaker train; the fold's "test" role is unused (the dev speaker stands in)
const fold = { test: values.dev, dev: values.dev, train: EMODB_SPEAKERS.filter((s) => s !== values.dev) };
if (!leaveOneSpeakerOutFolds(EMODB_SPEAKERS).some((f) => f.test === values.dev)) throw new Error(`--dev: expected one of ${EMODB_SPEAKERS.join(', ')}, got '${values.dev}'`);
const dataset = emodbFoldDataset(corpus, fold, (u) => features.get(u.id)!, AUDIO_FUNCTIONALS_WIDTH);
const { model } = await createModelForDataset(dataset, { preset: AUDIO_PRESET, seed, wordVectors: null });
const epochs = AUDIO_PRESET.train.epochs ?? 40;
const result = await train(model, { train: dataset.train, dev: dataset.dev }, { ...presetTrainOptions(AUDIO_PRESET, epochs), seed });
const dev = predictLabels(model.network, dataset.dev, undefined);
const recall = corpus.classes.map((_, c) => {
  const idx = dev.truth.flatMap((t, i) => (t === c ? [i] : []));
  return idx.length ? idx.filter((i) => dev.predicted[i] === c).length / idx.length : 0;
});
const devUar = recall.reduce((a, b) => a + b, 0) / recall.length;
const dir = join(assetsDir(), 'emodb');
await saveModel(model, dir);
const loso = 'benchmarks/results/speech-no-speaker-norm.json';
const losoReport = existsSync(loso) ? (JSON.parse(readFileSync(loso, 'utf8')) as { uar: number; accuracy: number; weightedF1: number; perClassF1: Record<string, number>; protocol: string }) : null;
await writeFileAtomic(
  join(dir, 'metrics.json'),
  JSON.stringify(
    {
      dataset: 'emodb',
      features: `audioFunctionals (${AUDIO_FUNCTIONALS_WIDTH}-d), no speaker normalisation`,
      trainSpeakers: fold.train,
      devSpeaker: values.dev,
      seed,
      backend: backend.backend,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      params: model.countParams(),
      devUar,
      devPredictions: dev.predicted,
      speakerIndependent: losoReport && { source: `${loso} (npm run bench:speech -- --paths vector --seeds 1 --no-speaker-norm --no-markdown --out ${loso})`, protocol: losoReport.protocol, uar: losoReport.uar, accuracy: losoReport.accuracy, weightedF1: losoReport.weightedF1, perClassF1: losoReport.perClassF1 },
      config: AUDIO_PRESET,
    },
    null,
    2,
  ) + '\n',
);
console.log(`saved ${dir}: dev speaker ${values.dev} UAR ${devUar.toFixed(4)} (best epoch ${result.bestEpoch} of ${result.epochs}), ${model.countParams()} parameters`);
model.dispose();
