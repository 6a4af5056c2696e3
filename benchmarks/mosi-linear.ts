/**
 * A linear reference for the MOSI table: L2-regularised logistic regression on the standardised features of each
 * modality subset, without and with context (each utterance's features next to the mean of the other utterances of
 * its video). It shows how far these features go without a network. Trained on the 62 training videos (dev
 * included), full-batch gradient descent, scored on the test split. Writes benchmarks/results/mosi-linear.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/mosi-linear.ts
 *   npx tsx --conditions=@emoje/source benchmarks/mosi-linear.ts --text use   # text as USE-lite sentence vectors
 *     (loadMosiSentences, through the embedding cache): the subsets with text, to benchmarks/results/mosi-linear-use.json
 */
import { loadMosi } from '@emoje/datasets/node';
import { initBackend, loadMosiSentences, writeFileAtomic } from '@emoje/runtime-node';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { text: { type: 'string', default: 'bc-lstm' } } });
if (values.text !== 'bc-lstm' && values.text !== 'use') throw new Error(`--text: expected bc-lstm or use, got '${values.text}'`);
const useText = values.text === 'use';
// USE-lite's graph model needs a backend even when every vector comes from the cache.
if (useText) await initBackend();
const data = useText ? (await loadMosiSentences()).dataset : await loadMosi();
const names = data.modalities.map((m) => m.name);
// With USE-lite text only the subsets with text differ from the bc-LSTM run.
const SUBSETS = useText ? ['T', 'TA', 'TV', 'TAV'] : ['T', 'A', 'V', 'TA', 'TV', 'AV', 'TAV'];
const PENALTIES = [1e-3, 1e-2, 1e-1];
const train = [...data.train, ...data.dev];

/** Rows of one split: the chosen modalities' features, optionally followed by the leave-one-out video mean. */
function rows(dialogues: typeof train, modalities: string[], context: boolean): { x: Float64Array[]; y: number[] } {
  const x: Float64Array[] = [];
  const y: number[] = [];
  for (const d of dialogues) {
    const own = d.utterances.map((u) => Float64Array.from(modalities.flatMap((m) => Array.from(u.features[m] as Float32Array))));
    const sum = own.reduce((acc, v) => acc.map((a, k) => a + v[k]), new Float64Array(own[0].length));
    own.forEach((v, i) => {
      const others = own.length > 1 ? v.map((a, k) => (sum[k] - a) / (own.length - 1)) : new Float64Array(v.length);
      x.push(context ? Float64Array.from([...v, ...others]) : v);
      y.push(d.utterances[i].label!);
    });
  }
  return { x, y };
}

function standardise(trainX: Float64Array[], others: Float64Array[][]): void {
  const dim = trainX[0].length;
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (const v of trainX) v.forEach((a, k) => (mean[k] += a / trainX.length));
  for (const v of trainX) v.forEach((a, k) => (std[k] += (a - mean[k]) ** 2 / trainX.length));
  std.forEach((s, k) => (std[k] = Math.sqrt(s) + 1e-6));
  for (const set of [trainX, ...others]) for (const v of set) v.forEach((a, k) => (v[k] = (a - mean[k]) / std[k]));
}

/** Logistic regression by full-batch gradient descent (3,000 steps, rate 0.1, L2 penalty on the weights). */
function fit(x: Float64Array[], y: number[], penalty: number): { w: Float64Array; b: number } {
  const w = new Float64Array(x[0].length);
  let b = 0;
  const grad = new Float64Array(w.length);
  for (let step = 0; step < 3000; step++) {
    grad.fill(0);
    let gb = 0;
    x.forEach((v, i) => {
      let z = b;
      for (let k = 0; k < v.length; k++) z += w[k] * v[k];
      const e = 1 / (1 + Math.exp(-z)) - y[i];
      for (let k = 0; k < v.length; k++) grad[k] += e * v[k];
      gb += e;
    });
    for (let k = 0; k < w.length; k++) w[k] -= 0.1 * (grad[k] / x.length + penalty * w[k]);
    b -= (0.1 * gb) / x.length;
  }
  return { w, b };
}

const accuracy = (model: { w: Float64Array; b: number }, x: Float64Array[], y: number[]) =>
  x.filter((v, i) => (v.reduce((z, a, k) => z + a * model.w[k], model.b) > 0 ? 1 : 0) === y[i]).length / x.length;

const results: Record<string, Record<string, Record<string, number>>> = {};
for (const subset of SUBSETS) {
  const modalities = [...subset].map((c) => names.find((n) => n[0].toUpperCase() === c)!);
  results[subset] = {};
  for (const context of [false, true]) {
    const tr = rows(train, modalities, context);
    const te = rows(data.test, modalities, context);
    standardise(tr.x, [te.x]);
    results[subset][context ? 'withContext' : 'noContext'] = Object.fromEntries(PENALTIES.map((p) => [String(p), accuracy(fit(tr.x, tr.y, p), te.x, te.y)]));
  }
  console.log(subset, JSON.stringify(results[subset]));
}
const report = {
  dataset: 'cmu-mosi',
  model: 'L2-regularised logistic regression on standardised features; context = leave-one-out mean of the video',
  text: useText ? 'USE-lite 512-d sentence vectors of the transcripts (loadMosiSentences)' : "bc-LSTM's 100-d text vectors",
  trainedOn: 'train + dev (62 videos)',
  metric: 'test accuracy per L2 penalty',
  generatedAt: new Date().toISOString(),
  subsets: results,
};
await writeFileAtomic(useText ? 'benchmarks/results/mosi-linear-use.json' : 'benchmarks/results/mosi-linear.json', JSON.stringify(report, null, 2) + '\n');
