/**
 * The parts of `npm run bench:perf` that measure the fused wasm kernels (`@emoje/wasm-kernels`): kernels per training
 * step and per prediction, training speed and prediction latency with the fused kernels on and off (the op-by-op path
 * every other backend runs), and the sentence encoder's throughput on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedKernelsEnabled } from '@emoje/core';
import { loadMeld } from '@emoje/datasets/node';
import { train, type DialogueInput, type EmojeModel } from '@emoje/model';
import { loadPretrained } from '@emoje/pretrained/node';
import { MOSI_PRESET } from '@emoje/runtime-node';

/** Kernels of one training step (4 dialogues, optimiser included, through `train()`) and of one 10-utterance prediction. */
export async function kernelCounts(model: EmojeModel, trainDialogues: DialogueInput[], dialogue: DialogueInput): Promise<{ trainingStep: number; prediction: number }> {
  const step = { ...MOSI_PRESET.train, epochs: 1, batchSize: 4, averageLastEpochs: 0, modalityDropout: false as const };
  const subset = { train: trainDialogues.slice(0, 4) };
  await train(model, subset, step);
  const trainingStep = (await tf.profile(async () => void (await train(model, subset, step)))).kernels.length;
  await model.predict(dialogue);
  const prediction = (await tf.profile(async () => void (await model.predict(dialogue)))).kernels.length;
  return { trainingStep, prediction };
}

/** Runs `measure` with the fused kernels off, then on (restored to on either way). */
export async function withAndWithoutFused<T>(measure: () => Promise<T>): Promise<{ unfused: T; fused: T }> {
  try {
    setFusedKernelsEnabled(false);
    const unfused = await measure();
    setFusedKernelsEnabled(true);
    const fused = await measure();
    return { unfused, fused };
  } finally {
    setFusedKernelsEnabled(true);
  }
}

export interface EncoderThroughput {
  /** Utterances embedded per second by USE-lite (batches of 64, median of 3 passes over 256 real MELD test utterances). */
  embedUtterancesPerSec: number;
  /** `loadPretrained('meld').predict` of a 10-utterance text dialogue (embedding included): p50 and p95 over 30 calls, ms. */
  dialogueP50Ms: number;
  dialogueP95Ms: number;
  utterances: number;
}

/** The sentence encoder and the pretrained MELD text model on the active backend. */
export async function encoderThroughput(): Promise<EncoderThroughput> {
  const meld = await loadMeld();
  const texts = meld.test.flatMap((d) => d.utterances.map((u) => (u as { text?: string }).text ?? '')).filter((t) => t.trim() !== '').slice(0, 256);
  const textModel = await loadPretrained('meld');
  try {
    const embedAll = async () => {
      const t0 = performance.now();
      for (let i = 0; i < texts.length; i += 64) (await textModel.encoder.embed(texts.slice(i, i + 64))).dispose();
      return texts.length / ((performance.now() - t0) / 1000);
    };
    await embedAll();
    const rates = [await embedAll(), await embedAll(), await embedAll()].sort((a, b) => a - b);
    const dialogue = { utterances: texts.slice(0, 10).map((text, i) => ({ speaker: i % 2, text })) };
    for (let i = 0; i < 3; i++) await textModel.predict(dialogue);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await textModel.predict(dialogue);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { embedUtterancesPerSec: rates[1], dialogueP50Ms: times[15], dialogueP95Ms: times[Math.floor(0.95 * times.length)], utterances: texts.length };
  } finally {
    textModel.dispose();
  }
}
