/**
 * Why the joint embedding helps little on CMU-MOSI: how well the compensation decoder rebuilds
 * each modality's descriptor from the other two on test utterances, and how much weight QAF gives
 * each modality. Uses the bundled pretrained model (the full variant). Writes
 * benchmarks/results/mosi-analysis.json and prints a table.
 *   npx tsx --conditions=@emoje/source benchmarks/mosi-analysis.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadMosi } from '@emoje/datasets/node';
import { collate, disposeBatch } from '@emoje/model';
import { loadPretrained } from '@emoje/pretrained/node';
import { initBackend, writeFileAtomic } from '@emoje/runtime-node';

await initBackend();
const data = await loadMosi();
const model = await loadPretrained('mosi');
const names = model.config.modalities.map((m) => m.name);

/** Mean cosine similarity over the rows of a and b ([N, D]). */
function meanCosine(a: tf.Tensor2D, b: tf.Tensor2D): number {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b), -1);
    const norms = tf.mul(tf.norm(a, 'euclidean', -1), tf.norm(b, 'euclidean', -1));
    return tf.mean(tf.div(dot, tf.maximum(norms, 1e-12))).dataSync()[0];
  });
}

function descriptors(split: 'train' | 'test') {
  const batch = collate(data[split], model.config.modalities);
  const out = model.network.forward(batch, false);
  const real = Array.from(batch.host.utteranceMask).flatMap((v, i) => (v > 0 ? [i] : []));
  const pick = (t: tf.Tensor, m: number) => tf.tidy(() => {
    const d = t.shape[3] as number;
    const flat = tf.reshape(tf.slice(t, [0, 0, m, 0], [-1, -1, 1, -1]), [-1, d]);
    return tf.gather(flat, tf.tensor1d(real, 'int32')) as tf.Tensor2D;
  });
  const result = names.map((_, m) => ({ c: pick(out.descriptors, m), rec: pick(out.reconstruction!, m) }));
  const beta = tf.tidy(() => tf.gather(tf.reshape(out.modalityWeights, [-1, names.length]), tf.tensor1d(real, 'int32')));
  tf.dispose(Object.values(out).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
  disposeBatch(batch);
  return { result, beta };
}

const train = descriptors('train');
const test = descriptors('test');
const rows = names.map((name, m) => {
  const trainMean = tf.tidy(() => tf.tile(tf.mean(train.result[m].c, 0, true), [test.result[m].c.shape[0], 1]) as tf.Tensor2D);
  const row = {
    modality: name,
    reconstructionCosine: meanCosine(test.result[m].rec, test.result[m].c),
    trainMeanCosine: meanCosine(trainMean, test.result[m].c),
    meanQafWeight: tf.tidy(() => tf.mean(tf.slice(test.beta, [0, m], [-1, 1])).dataSync()[0]),
  };
  trainMean.dispose();
  return row;
});
const report = { dataset: 'cmu-mosi', split: 'test', model: '@emoje/pretrained mosi', rows };
await writeFileAtomic('benchmarks/results/mosi-analysis.json', JSON.stringify(report, null, 2) + '\n');
console.log('| modality | cos(reconstruction from the others, true descriptor) | cos(train mean, true descriptor) | mean QAF weight with all three |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.modality} | ${r.reconstructionCosine.toFixed(3)} | ${r.trainMeanCosine.toFixed(3)} | ${r.meanQafWeight.toFixed(3)} |`);
tf.dispose([train, test].flatMap((s) => [...s.result.flatMap((r) => [r.c, r.rec]), s.beta]));
model.dispose();
