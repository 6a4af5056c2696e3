/**
 * Where the time of the wasm backend goes at this model's sizes (the figures behind the efficiency analysis in
 * BENCHMARKS.md's speed section): kernels per prediction and per training step of the MOSI model, training step time
 * at batch 4 and 16 with and without the guided NCE, a batched prediction (32 dialogues of 10 utterances), a training
 * step of the MELD text model (8 real dialogues), and the costs of single kernels (dispatch, element-wise traffic,
 * Tile, slicing a large vector). Public APIs only, so the same script also runs on older commits.
 * Writes benchmarks/results/kernels.json.
 *
 *   npm run bench:kernels
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadMeld, loadMosi } from '@emoje/datasets/node';
import { createModel, train } from '@emoje/model';
import { MOSI_PRESET, TEXT_PRESET, createModelForDataset, initBackend, writeFileAtomic } from '@emoje/runtime-node';

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

// A batched prediction (32 test dialogues cut to 10 utterances; median of 25 after 5) and a MELD text-model training
// step (batch 8, the first 8 real training dialogues; median of 9 after 3).
async function medianMs(run: () => Promise<unknown>, warm: number, timed: number): Promise<number> {
  for (let i = 0; i < warm; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return median(times);
}
const inferModel = createModel(config(MOSI_PRESET.model.lossWeights!.ace!));
const batch32 = Array.from({ length: 32 }, (_, i) => ({ utterances: data.test[i % data.test.length].utterances.slice(0, 10) }));
const predictBatch32Ms = await medianMs(() => inferModel.predictBatch(batch32), 5, 25);
inferModel.dispose();
const meld = await loadMeld();
const { model: meldModel } = await createModelForDataset(meld, { preset: TEXT_PRESET, seed: 1 });
const meldStep = { ...TEXT_PRESET.train, epochs: 1, batchSize: 8, averageLastEpochs: 0 };
const meldStepBatch8Ms = await medianMs(() => train(meldModel, { train: meld.train.slice(0, 8) }, meldStep), 3, 9);
meldModel.dispose();

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
  ...slowKernelAlternatives(),
};
tf.dispose([x, column, tiny, flat]);

/**
 * Kernels wasm runs far below its usual speed, each beside the equivalent the blocks use instead (raw tf ops, so the
 * figures do not depend on the commit): tanh against sigmoid, GELU's tanh form against its sigmoid form, tf.max's
 * gradient mask (a broadcast Equal) against a broadcast subtraction and Step, tf.unstack against gatherND picks, gather
 * against gatherND for an embedding lookup, and a column Sum against a product with ones.
 */
function slowKernelAlternatives(): Record<string, number> {
  const y = tf.randomNormal([3, 320, 128]);
  const k = Math.sqrt(2 / Math.PI);
  const cubic = (t: tf.Tensor) => tf.add(t, tf.mul(tf.mul(tf.mul(t, t), t), 0.044715));
  const tokens = tf.randomNormal([176, 42, 64]);
  const pooled = tf.max(tokens, 1, true);
  const streams = tf.randomNormal([3, 320, 64]);
  const rows = tf.reshape(streams, [3, 320 * 64]);
  const picks = [0, 1, 2].map((m) => tf.tensor2d([[m]], [1, 1], 'int32'));
  const table = tf.randomNormal([5167, 100]);
  const ids = Array.from({ length: 7392 }, (_, i) => (i * 37) % 5167);
  const flatIds = tf.tensor1d(ids, 'int32');
  const rowIds = tf.tensor2d(ids, [7392, 1], 'int32');
  const grad = tf.randomNormal([7392, 64]) as tf.Tensor2D;
  const ones = tf.ones([1, 7392]) as tf.Tensor2D;
  const figures = {
    tanh123k: perCall(() => void tf.tanh(y), 50),
    sigmoid123k: perCall(() => void tf.sigmoid(y), 50),
    tanhViaSigmoid123k: perCall(() => void tf.sub(tf.mul(tf.sigmoid(tf.mul(y, 2)), 2), 1), 50),
    geluTanhForm123k: perCall(() => void tf.mul(tf.mul(y, 0.5), tf.add(tf.tanh(tf.mul(cubic(y), k)), 1)), 50),
    geluSigmoidForm123k: perCall(() => void tf.mul(y, tf.sigmoid(tf.mul(cubic(y), 2 * k))), 50),
    maxGradMaskBroadcastEqual_176x42x64: perCall(() => void tf.equal(tokens, pooled), 10),
    maxGradMaskSubStep_176x42x64: perCall(() => void tf.sub(1, tf.step(tf.sub(pooled, tokens))), 10),
    unstack_3x320x64: perCall(() => void tf.unstack(streams), 50),
    gatherNDPicks_3x320x64: perCall(() => void picks.map((i) => tf.gatherND(rows, i)), 50),
    embeddingGather_7392of5167x100: perCall(() => void tf.gather(table, flatIds), 10),
    embeddingGatherND_7392of5167x100: perCall(() => void tf.gatherND(table, rowIds), 10),
    columnSum_7392x64: perCall(() => void tf.sum(grad, 0), 20),
    onesProduct_7392x64: perCall(() => void tf.matMul(ones, grad), 20),
  };
  tf.dispose([y, tokens, pooled, streams, rows, ...picks, table, flatIds, rowIds, grad, ones]);
  return figures;
}

const report = {
  backend: tf.getBackend(),
  generatedAt: new Date().toISOString(),
  kernels: { predictOneDialogue: predictKernels, trainStepBatch4: stepKernels },
  trainStepMs: steps,
  predictBatch32Ms,
  meldStepBatch8Ms,
  kernelsUs,
  nsPerElement: { add: (kernelsUs.addSameShape120k * 1000) / x.size, tile: (kernelsUs.tileColumnTo120k * 1000) / x.size },
};
await writeFileAtomic(values.out!, JSON.stringify(report, null, 2) + '\n');
console.log(JSON.stringify(report, null, 2));
