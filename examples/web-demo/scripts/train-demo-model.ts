/**
 * Trains the demo's small model and writes it to public/models/demo (model.json + weights.bin), where the page
 * loads it from. Three modalities: `text` (tokens: the typed words, vocabulary saved in the config), `audio`
 * (the 77-wide utterance vector of `AudioFeatureExtractor`) and `face` (the 15-wide vector of one face-api.js-style
 * expression frame). Four classes: neutral, joy, sadness, anger.
 *
 * The data are synthetic and made here, so the run is reproducible and needs no download: sentences from
 * per-class word lists, speech-like audio whose pitch, loudness and tempo follow the class (rendered and
 * featurized exactly like a microphone recording), and a noisy expression per class. It is a toy: it shows the
 * path from a page to predictions, with modalities missing, not a real emotion recognizer.
 *
 *   npx tsx --conditions=@emoje/source examples/web-demo/scripts/train-demo-model.ts [--epochs 20] [--out examples/web-demo/public/models/demo]
 */
import { parseArgs } from 'node:util';
import { SeededRandom } from '@emoje/core';
import { FACE_API_EXPRESSIONS, Vocabulary, extractAudioFeatures } from '@emoje/encoders';
import { createModel, evaluate, train, type DialogueInput } from '@emoje/model';
import { initBackend, saveModel } from '@emoje/runtime-node';
import { expressionVector } from '../src/dialogue';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    dialogues: { type: 'string', default: '96' },
    out: { type: 'string', default: new URL('../public/models/demo', import.meta.url).pathname },
  },
});

export const CLASSES = ['neutral', 'joy', 'sadness', 'anger'] as const;
const WORDS: Record<(typeof CLASSES)[number], string[]> = {
  neutral: ['okay', 'fine', 'the meeting is at noon', 'i will check', 'see you later', 'it is on the table', 'sure', 'we can talk tomorrow', 'what time is it'],
  joy: ['great', 'wonderful', 'i love it', 'this is amazing', 'so happy', 'fantastic news', 'thank you so much', 'yay', 'best day ever'],
  sadness: ['i miss her', 'so sad', 'i am sorry', 'it hurts', 'nobody came', 'i feel alone', 'that is terrible news', 'i lost it', 'i cried'],
  anger: ['stop it', 'i hate this', 'get out', 'this is ridiculous', 'how dare you', 'i am furious', 'leave me alone', 'shut up', 'unbelievable'],
};
const OPENERS = ['', 'well', 'oh', 'you know', 'honestly', 'hey', 'look'];
const EXPRESSION: Record<(typeof CLASSES)[number], string> = { neutral: 'neutral', joy: 'happy', sadness: 'sad', anger: 'angry' };
/** Pitch (Hz), loudness (0-1), syllable length (s) per class. */
const VOICE: Record<(typeof CLASSES)[number], { f0: number; gain: number; syllable: number }> = {
  neutral: { f0: 140, gain: 0.25, syllable: 0.2 },
  joy: { f0: 230, gain: 0.5, syllable: 0.14 },
  sadness: { f0: 105, gain: 0.1, syllable: 0.3 },
  anger: { f0: 180, gain: 0.8, syllable: 0.11 },
};

/** Speech-like audio: harmonic syllables with gliding pitch around the class voice, pauses, a little noise. */
function voice(cls: (typeof CLASSES)[number], random: SeededRandom, rate = 16000, seconds = 1.6): Float32Array {
  const v = VOICE[cls];
  const x = new Float32Array(Math.round(rate * seconds));
  let t = 0.05;
  while (t < seconds - 0.2) {
    const length = v.syllable * (0.8 + 0.4 * random.next());
    const f0 = v.f0 * (0.85 + 0.3 * random.next());
    const glide = (random.next() - 0.5) * 0.4;
    const start = Math.round(t * rate);
    const n = Math.min(Math.round(length * rate), x.length - start);
    let phase = 0;
    for (let i = 0; i < n; i++) {
      const u = i / n;
      phase += (2 * Math.PI * f0 * (1 + glide * u)) / rate;
      let s = 0;
      for (let h = 1; h <= 8; h++) s += Math.sin(h * phase) / h;
      x[start + i] = v.gain * Math.sin(Math.PI * u) ** 2 * s * 0.5;
    }
    t += length + 0.03 + 0.08 * random.next();
  }
  for (let i = 0; i < x.length; i++) x[i] += 0.003 * (random.next() * 2 - 1);
  return x;
}

function makeDialogues(count: number, seed: number): DialogueInput[] {
  const random = new SeededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random.next() * xs.length)];
  const dialogues: DialogueInput[] = [];
  for (let d = 0; d < count; d++) {
    const utterances: DialogueInput['utterances'] = [];
    const length = 3 + Math.floor(random.next() * 4);
    let mood = Math.floor(random.next() * CLASSES.length);
    for (let u = 0; u < length; u++) {
      if (random.next() < 0.35) mood = Math.floor(random.next() * CLASSES.length);
      const cls = CLASSES[mood];
      // a tenth of the words come from another class, so no single modality is perfect
      const wordClass = random.next() < 0.1 ? pick(CLASSES) : cls;
      const text = `${pick(OPENERS)} ${pick(WORDS[wordClass])}${random.next() < 0.5 ? ' ' + pick(WORDS[wordClass]) : ''}`.trim();
      const faceClass = random.next() < 0.15 ? pick(CLASSES) : cls;
      utterances.push({
        speaker: u % 2 === 0 ? 'A' : 'B',
        label: mood,
        features: {
          text,
          audio: extractAudioFeatures(voice(cls, random), 16000).utteranceVector,
          face: expressionVector(EXPRESSION[faceClass], 0.6 + 0.35 * random.next()),
        },
      });
    }
    dialogues.push({ id: `synthetic-${seed}-${d}`, utterances });
  }
  return dialogues;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await initBackend({ backend: 'wasm' });
  const count = Number(values.dialogues);
  const trainSet = makeDialogues(count, 1);
  const dev = makeDialogues(Math.ceil(count / 4), 2);
  const test = makeDialogues(Math.ceil(count / 4), 3);
  const vocabulary = Vocabulary.build(trainSet.flatMap((d) => d.utterances.map((u) => u.features.text as string)));
  const model = createModel({
    modalities: [
      { name: 'text', kind: 'tokens', vocabulary: [...vocabulary.tokens], embeddingDim: 16, maxTokens: 24, trainableEmbeddings: true },
      { name: 'audio', kind: 'vector', dim: 77 },
      { name: 'face', kind: 'vector', dim: expressionVector(FACE_API_EXPRESSIONS[0]).length },
    ],
    classes: [...CLASSES],
    units: 32,
    numHeads: 2,
    contextUnits: 32,
    embeddingDim: 16,
    acnLayers: 1,
    seed: 7,
  });
  await train(model, { train: trainSet, dev }, { epochs: Number(values.epochs), batchSize: 8, learningRate: 3e-3, seed: 7, modalityDropout: { rate: 0.4, scenarioRate: 0.5 }, onEpochEnd: (e) => console.log(`epoch ${e.epoch}: dev weighted F1 ${e.dev?.weightedF1.toFixed(3)}`) });
  for (const scenario of [['text', 'audio', 'face'], ['text'], ['audio'], ['face'], ['text', 'audio']]) {
    console.log(`test accuracy with ${scenario.join('+')}: ${evaluate(model.network, test, { scenario }).accuracy.toFixed(3)}`);
  }
  await saveModel(model, values.out);
  console.log(`saved to ${values.out} (${model.countParams()} parameters, vocabulary of ${vocabulary.size})`);
}
