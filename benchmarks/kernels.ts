/**
 * Where the time of the wasm backend goes at this model's sizes (the figures behind the efficiency analysis in
 * BENCHMARKS.md's speed section): kernels per prediction and per training step of the MOSI model, training step time
 * at batch 4 and 16 with and without the guided NCE, and the costs of single kernels (dispatch, element-wise traffic,
 * Tile, slicing a large vector). Public APIs only, so the same script also runs on older commits.
 * Writes benchmarks/results/kernels.json.
 *
 *   npm run bench:kernels
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadMosi } from '@emoje/datasets/node';
import { createModel, train } from '@emoje/model';
import { MOSI_PRESET, initBackend, writeFileAtomic } from '@emoje/runtime-node';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'benchmarks/results/kernels.json' } } });
await initBackend({ backend: 'wasm' });
const data = await loadMosi();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const config = (ace: number) => ({ ...MOSI_PRESET.model, lossWeights: { ...MOSI_PRESET.model.lossWeights!, ace }, modalities: data.modalities, classes: data.classes, seed: 1 });

// Kernels of one prediction (a 10-utterance test dialogue) and of one training step (4 dialogues, optimiser included).
const model = createModel(config(MOSI_PRESET.model.lossWeights!.ace!));
const dialogue = { utterances: data.test[0].utterances.slice(0, 10) };
await model.predict(dialogue);
const predictKernels = (await tf.profile(async () => void (await model.predict(dialogue)))).kernels.length;
const stepOptions = { ...MOSI_PRESET.train, epochs: 1, batchSize: 4, averageLastEpochs: 0, modalityDropout: false as const };
await train(model, { train: data.train.slice(0, 4) }, stepOptions);
const stepKernels = (await tf.profile(async () => void (await train(model, { train: data.train.slice(0, 4) }, stepOptions)))).kernels.length;
model.dispose();

// Training step time at batch 4 and 16, with and without the guided NCE (median of 5 single-step epochs after 2).
async function stepMs(batch: number, ace: number): Promise<number> {
  const m = createModel(config(ace));
  const seconds: number[] = [];
  await train(m, { train: data.train.slice(0, batch) }, { ...stepOptions, batchSize: batch, epochs: 7, onEpochEnd: (e) => void seconds.push(e.seconds) });
  m.dispose();
  return median(seconds.slice(2)) * 1000;
}
const slotsOf = (batch: number) => data.train.slice(0, batch).reduce((n, d) => n + d.utterances.length, 0);
const steps = [];
for (const batch of [4, 16]) for (const ace of [MOSI_PRESET.model.lossWeights!.ace!, 0]) steps.push({ batch, utterances: slotsOf(batch), ace, ms: await stepMs(batch, ace) });

// Single kernels: microseconds per call (median of 5 loops of 200 calls).
function perCall(f: () => void, calls = 200): number {
  const loop = () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) tf.tidy(f);
    return ((performance.now() - t0) / calls) * 1000;
  };
  loop();
  return median(Array.from({ length: 5 }, loop));
}
const x = tf.randomNormal([3, 624, 64]);
const column = tf.randomNormal([3, 624, 1]);
const tiny = tf.scalar(1);
const sizes = Array.from({ length: 170 }, (_, i) => (i % 3 === 0 ? 4096 : 64));
const flat = tf.randomNormal([sizes.reduce((a, b) => a + b, 0)]);
const kernelsUs = {
  dispatchScalarAdd: perCall(() => void tf.add(tiny, tiny)),
  addSameShape120k: perCall(() => void tf.add(x, x)),
  mulColumnBroadcast120k: perCall(() => void tf.mul(x, column)),
  tileColumnTo120k: perCall(() => void tf.tile(column, [1, 1, 64]), 20),
  split170PiecesOf1MB: perCall(() => void tf.split(flat, sizes), 5),
};
tf.dispose([x, column, tiny, flat]);

const report = {
  backend: tf.getBackend(),
  generatedAt: new Date().toISOString(),
  kernels: { predictOneDialogue: predictKernels, trainStepBatch4: stepKernels },
  trainStepMs: steps,
  kernelsUs,
  nsPerElement: { add: (kernelsUs.addSameShape120k * 1000) / x.size, tile: (kernelsUs.tileColumnTo120k * 1000) / x.size },
};
await writeFileAtomic(values.out!, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
