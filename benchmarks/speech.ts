/**
 * Speech benchmark on EmoDB (535 acted German utterances, 10 speakers, 7 emotions; this public copy is cut or padded
 * to 2 s): leave-one-speaker-out, each fold tests one speaker, chooses (early stopping, best epoch) on the next
 * speaker in id order (`leaveOneSpeakerOutFolds(EMODB_SPEAKERS)`: test 03 / dev 08, ..., test 16 / dev 03) and trains
 * on the other 8; several seeds; two audio paths side by side:
 *
 * - `vector`: one utterance vector per clip (the 163-d `audioFunctionals`, or the 77-d `utteranceVector` with
 *   `--vector-features basic`) through the AM²-EmoJE model with the audio preset (`AUDIO_PRESET`);
 * - `frames`: the frame sequence (`audioFrameFeatures`: MFCC + deltas + pitch, energy, periodicity, pooled by 4)
 *   through the frame-sequence encoder and a linear classifier (benchmarks/speech-frame-model.ts).
 *
 * Features are speaker-standardised by default (every dimension z-scored over each speaker's own clips, labels
 * unused; for the test speaker this uses its unlabeled audio only, the usual speaker normalisation of
 * speech-emotion work); `--no-speaker-norm` turns it off. UAR (unweighted average recall) is the headline.
 * Writes benchmarks/results/speech.json and the `speech` section of BENCHMARKS.md.
 *
 *   npm run bench:speech                                    # 10 folds x 3 seeds x 2 paths
 *   npm run bench:speech -- --folds 0,1 --seeds 1 --paths vector --no-markdown --out /tmp/s.json
 *   npm run bench:speech -- --vector-features basic --preset mosi --no-speaker-norm   # the CLI's former default
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { EMODB_SPEAKERS, emodbFoldDataset, leaveOneSpeakerOutFolds, type SpeakerFold } from '@emoje/datasets';
import { loadEmodb } from '@emoje/datasets/node';
import { classificationMetrics, createModel, predictLabels, train, type ClassificationMetrics, type DialogueInput } from '@emoje/model';
import { AUDIO_PRESET, MOSI_PRESET, classWeightsFromLabels, createModelForDataset, initBackend, presetTrainOptions, writeFileAtomic, type Preset } from '@emoje/runtime-node';
import { updateBenchmarksSection } from './report';
import { FRAME_MODEL_DEFAULTS, FrameClassifier, unweightedAverageRecall, type FrameExample } from './speech-frame-model';
import { emodbSpeechFeatures, standardizeBySpeaker, standardizeFramesBySpeaker } from './speech-features';
import { renderSpeechMarkdown, summarizeRuns, type SpeechFoldRun, type SpeechReference, type SpeechReport } from './speech-report';

/** Result files shown as reference rows under the table when they exist (written by the commands in their labels). */
const REFERENCES = [
  { label: 'before this work: 77-d `utteranceVector`, MOSI preset (the CLI default for audio), no speaker normalisation', file: 'benchmarks/results/speech-baseline.json' },
  { label: '163-d `audioFunctionals`, audio preset, **no** speaker normalisation (what `loadPretrained(\'emodb\')` sees: one clip at a time)', file: 'benchmarks/results/speech-no-speaker-norm.json' },
];

async function references(): Promise<SpeechReference[]> {
  const out: SpeechReference[] = [];
  for (const r of REFERENCES) {
    try {
      out.push({ ...r, report: JSON.parse(await readFile(r.file, 'utf8')) as SpeechReport });
    } catch {
      // not measured yet: no row
    }
  }
  return out;
}

const PATHS = ['vector', 'frames', 'frames-model'] as const;
type PathName = (typeof PATHS)[number];

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3' },
    folds: { type: 'string', default: 'all' },
    paths: { type: 'string', default: PATHS.join(',') },
    'vector-features': { type: 'string', default: 'functionals' },
    preset: { type: 'string', default: 'audio' },
    'no-speaker-norm': { type: 'boolean', default: false },
    pool: { type: 'string', default: '4' },
    frame: { type: 'string' },
    model: { type: 'string' },
    train: { type: 'string' },
    out: { type: 'string', default: 'benchmarks/results/speech.json' },
    'no-markdown': { type: 'boolean', default: false },
    // JSON overrides of the frames modality of the frames-model path
    'frames-modality': { type: 'string' },
    // Merge the runs of several result files (e.g. one process per path or seed) into --out.
    merge: { type: 'string' },
  },
});

function jsonFlag(name: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const parsed = JSON.parse(text) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--${name}: expected a JSON object, got '${text}'`);
  return parsed as Record<string, unknown>;
}

const seeds = values.seeds.split(',').map(Number);
const paths = values.paths.split(',') as PathName[];
for (const p of paths) if (!PATHS.includes(p)) throw new Error(`--paths: unknown path '${p}' (known: ${PATHS.join(', ')})`);
const allFolds = leaveOneSpeakerOutFolds(EMODB_SPEAKERS);
const foldIndices = values.folds === 'all' ? allFolds.map((_, i) => i) : values.folds.split(',').map(Number);
const vectorKind = values['vector-features'];
if (vectorKind !== 'functionals' && vectorKind !== 'basic') throw new Error(`--vector-features: 'functionals' or 'basic', got '${vectorKind}'`);
const basePreset: Preset = values.preset === 'mosi' ? MOSI_PRESET : values.preset === 'audio' ? AUDIO_PRESET : (() => { throw new Error(`--preset: 'audio' or 'mosi', got '${values.preset}'`); })();
const preset: Preset = { ...basePreset, model: { ...basePreset.model, ...jsonFlag('model', values.model) }, train: { ...basePreset.train, ...jsonFlag('train', values.train) } };
const frameOptions = { ...FRAME_MODEL_DEFAULTS, ...jsonFlag('frame', values.frame) };
const speakerNorm = !values['no-speaker-norm'];
const pool = Number(values.pool);

if (values.merge) {
  const files = values.merge.split(',');
  const reports = await Promise.all(files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as SpeechReport));
  const merged = summarizeRuns(reports.flatMap((r) => r.folds), {
    classes: reports[0].classes,
    protocol: reports[0].protocol.replace(/; seeds .*$/, `; seeds ${[...new Set(reports.flatMap((r) => r.folds.map((f) => f.seed)))].join(', ')}; folds ${[...new Set(reports.flatMap((r) => r.folds.map((f) => f.fold)))].sort((a, b) => a - b).join(', ')} (merged from ${files.length} processes)`),
    settings: { ...reports[0].settings, mergedFrom: files, settingsPerFile: reports.map((r) => r.settings) },
  });
  await writeFileAtomic(values.out, `${JSON.stringify(merged, null, 1)}\n`);
  console.log(`merged ${merged.folds.length} runs -> ${values.out}; headline ${merged.headlinePath}: UAR ${merged.uar.toFixed(4)}`);
  if (!values['no-markdown']) await updateBenchmarksSection('speech', renderSpeechMarkdown(merged, await references()));
  process.exit(0);
}

const backend = await initBackend();
console.log(`backend: ${backend.backend} (${backend.reason})`);
const corpus = await loadEmodb();
const features = await emodbSpeechFeatures(corpus, pool);
const speakers = features.map((f) => f.speaker);
const rawVectors = features.map((f) => (vectorKind === 'functionals' ? f.functionals : f.vector));
const vectors = speakerNorm ? standardizeBySpeaker(rawVectors, speakers) : rawVectors;
const frames = speakerNorm ? standardizeFramesBySpeaker(features.map((f) => f.frames), speakers) : features.map((f) => f.frames);
const byId = new Map(features.map((f, i) => [f.id, i]));
const classes = corpus.classes;

function metricsOf(truth: number[], predicted: number[]): ClassificationMetrics & { uar: number } {
  return { ...classificationMetrics(truth, predicted, classes), uar: unweightedAverageRecall(truth, predicted, classes.length) };
}

async function runVector(fold: SpeakerFold, seed: number): Promise<Omit<SpeechFoldRun, 'path' | 'fold' | 'seed' | 'test' | 'dev' | 'seconds'>> {
  const dim = vectors[0].length;
  const dataset = emodbFoldDataset(corpus, fold, (u) => vectors[byId.get(u.id)!], dim);
  const { model } = await createModelForDataset(dataset, { preset, seed, wordVectors: null });
  const epochs = preset.train.epochs ?? 40;
  const result = await train(model, { train: dataset.train, dev: dataset.dev }, { ...presetTrainOptions(preset, epochs), seed });
  const t = predictLabels(model.network, dataset.test, undefined);
  const d = predictLabels(model.network, dataset.dev, undefined);
  const test = metricsOf(t.truth, t.predicted);
  const dev = unweightedAverageRecall(d.truth, d.predicted, classes.length);
  model.dispose();
  return { metrics: test, devUar: dev, epochs: result.epochs, bestEpoch: result.bestEpoch };
}

/** The frame sequences as a `frames` modality of the AM²-EmoJE model itself (its ACN attends over the frames). */
async function runFramesModel(fold: SpeakerFold, seed: number): Promise<Omit<SpeechFoldRun, 'path' | 'fold' | 'seed' | 'test' | 'dev' | 'seconds'>> {
  const dim = frames[0][0].length;
  const flat = frames.map((rows) => {
    const out = new Float32Array(rows.length * dim);
    rows.forEach((r, t) => out.set(r, t * dim));
    return out;
  });
  const toDialogues = (keep: (s: string) => boolean): DialogueInput[] =>
    features.flatMap((f, i) => (keep(f.speaker) ? [{ id: f.id, utterances: [{ speaker: f.speaker, label: f.label, features: { audio: flat[i] } }] }] : []));
  const trainSet = new Set(fold.train);
  const data = { train: toDialogues((s) => trainSet.has(s)), dev: toDialogues((s) => s === fold.dev), test: toDialogues((s) => s === fold.test) };
  const power = preset.classWeightPower ?? 0;
  const model = createModel({
    ...preset.model,
    ...preset.singleModality,
    modalities: [{ name: 'audio', kind: 'frames', dim, maxFrames: 64, temporal: 'convolution', kernelSize: 5, ...jsonFlag('frames-modality', values['frames-modality']) }],
    classes,
    ...(power > 0 ? { classWeights: classWeightsFromLabels(data.train as never, classes.length, power) } : {}),
    seed,
  });
  const epochs = preset.train.epochs ?? 40;
  const result = await train(model, { train: data.train, dev: data.dev }, { ...presetTrainOptions(preset, epochs), seed });
  const t = predictLabels(model.network, data.test, undefined);
  const d = predictLabels(model.network, data.dev, undefined);
  model.dispose();
  return { metrics: metricsOf(t.truth, t.predicted), devUar: unweightedAverageRecall(d.truth, d.predicted, classes.length), epochs: result.epochs, bestEpoch: result.bestEpoch };
}

function runFrames(fold: SpeakerFold, seed: number): Omit<SpeechFoldRun, 'path' | 'fold' | 'seed' | 'test' | 'dev' | 'seconds'> {
  const examples = (keep: (s: string) => boolean): FrameExample[] => features.flatMap((f, i) => (keep(f.speaker) ? [{ frames: frames[i], label: f.label }] : []));
  const trainSet = new Set(fold.train);
  const trainEx = examples((s) => trainSet.has(s));
  const devEx = examples((s) => s === fold.dev);
  const testEx = examples((s) => s === fold.test);
  const model = new FrameClassifier(classes.length, { ...frameOptions, seed });
  const r = model.fit(trainEx, devEx);
  const test = metricsOf(testEx.map((e) => e.label), model.predict(testEx));
  model.dispose();
  return { metrics: test, devUar: r.bestDevUar, epochs: r.epochs, bestEpoch: r.bestEpoch };
}

const runs: SpeechFoldRun[] = [];
const started = Date.now();
for (const path of paths) {
  for (const seed of seeds) {
    for (const k of foldIndices) {
      const fold = allFolds[k];
      const t0 = Date.now();
      const before = tf.memory().numTensors;
      const r = path === 'vector' ? await runVector(fold, seed) : path === 'frames-model' ? await runFramesModel(fold, seed) : runFrames(fold, seed);
      const seconds = (Date.now() - t0) / 1000;
      const leaked = tf.memory().numTensors - before;
      runs.push({ path, fold: k, test: fold.test, dev: fold.dev, seed, ...r, seconds });
      console.log(
        `${path} seed ${seed} fold ${k} (test ${fold.test}, dev ${fold.dev}): test UAR ${r.metrics.uar.toFixed(3)} acc ${r.metrics.accuracy.toFixed(3)} | dev UAR ${r.devUar.toFixed(3)} | epochs ${r.epochs} (best ${r.bestEpoch}) ${seconds.toFixed(0)} s${leaked ? ` | ${leaked} tensors left` : ''}`,
      );
    }
  }
}

const report: SpeechReport = summarizeRuns(runs, {
  classes,
  protocol: `leave-one-speaker-out over the 10 EmoDB speakers: per fold, test on 1 speaker, choose (early stopping) on the next speaker in id order (dev of test 03 is 08, ..., of 16 is 03), train on the other 8; seeds ${seeds.join(', ')}; folds ${foldIndices.join(', ')}`,
  settings: {
    backend: backend.backend,
    speakerNormalisation: speakerNorm,
    vectorFeatures: vectorKind === 'functionals' ? 'audioFunctionals (163-d)' : 'utteranceVector (77-d)',
    preset: values.preset,
    presetOverrides: { model: jsonFlag('model', values.model), train: jsonFlag('train', values.train) },
    frameModel: frameOptions,
    framePooling: pool,
    minutes: (Date.now() - started) / 60000,
  },
});
await writeFileAtomic(values.out, `${JSON.stringify(report, null, 1)}\n`);
console.log(`headline (${report.headlinePath}, chosen on dev UAR): UAR ${report.uar.toFixed(4)}, accuracy ${report.accuracy.toFixed(4)}, weighted F1 ${report.weightedF1.toFixed(4)}; per class ${Object.entries(report.perClassF1).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
console.log(`wrote ${values.out}`);
if (!values['no-markdown']) {
  await updateBenchmarksSection('speech', renderSpeechMarkdown(report, await references()));
  console.log('updated the speech section of BENCHMARKS.md');
}
