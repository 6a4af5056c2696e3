import * as tf from '@tensorflow/tfjs-core';
import { loadMosi } from '@emoje/datasets/node';
import { collate, createModel } from '@emoje/model';
import { MOSI_PRESET, initBackend } from '@emoje/runtime-node';
import { setFusedKernelsEnabled } from '@emoje/core';
const sel = await initBackend({ backend: 'wasm' });
console.log(sel.fusedKernels);
const data = await loadMosi();
const model = createModel({ ...MOSI_PRESET.model, modalities: data.modalities, classes: data.classes, seed: 1 });
const net = model.network;
net.adaptNormalization(data.train);
const vars = net.weights.filter((w) => w.trainable).map((w) => w.read() as tf.Variable);
function run(fused: boolean) {
  setFusedKernelsEnabled(fused);
  const batch = collate(data.train.slice(0, 4), model.config.modalities);
  const { value, grads } = tf.variableGrads(() => net.losses(net.forward(batch, false), batch).total, vars);
  const logits = net.forward(batch, false).logits.dataSync();
  return { loss: value.dataSync()[0], grads: vars.map((v) => grads[v.name] ? Array.from(grads[v.name].dataSync()) : null), logits: Array.from(logits) };
}
const a = run(false), b = run(true);
console.log('loss', a.loss, b.loss);
let worst = 0, wi = -1;
a.grads.forEach((g, i) => { if (!g) return; const h = b.grads[i]!; const scale = Math.max(...g.map(Math.abs)); if (scale < 1e-6) return; const d = Math.max(...g.map((x, j) => Math.abs(x - h[j]))) / scale; if (d > worst) { worst = d; wi = i; } });
console.log('worst grad rel diff', worst, vars[wi]?.name);
console.log('logit max diff', Math.max(...a.logits.map((x, i) => Math.abs(x - b.logits[i]))));
