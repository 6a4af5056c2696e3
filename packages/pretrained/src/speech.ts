import { EmojeInputError } from '@emoje/core';
import { extractAudioFeatures, speechVector } from '@emoje/encoders';
import type { EmojePredictor } from '@emoje/model';

/** The emotion of one clip of speech. */
export interface SpeechEmotion {
  /** The most probable class, e.g. `'anger'`. */
  label: string;
  /** Every class's probability (they sum to 1). */
  probabilities: Record<string, number>;
}

/** Shortest clip that gives one analysis frame: 25 ms. */
const MIN_SECONDS = 0.025;

/**
 * The emotion of one clip of mono speech given as raw samples (a WAV decoded in Node, or microphone samples in a
 * browser, e.g. from an `AudioWorklet` at 48 kHz): the clip is resampled to 16 kHz, its audio features are extracted
 * (`extractAudioFeatures`) and turned into the vector the model's `audio` modality expects (`speechVector`: the
 * 163-d `audioFunctionals` for `loadPretrained('emodb')`), and the model predicts the clip as a one-utterance dialogue.
 *
 * @example
 * ```ts
 * const model = await loadPretrained('emodb');
 * const { label, probabilities } = await predictSpeechEmotion(model, samples, 48000);
 * label; // 'anger'
 * ```
 * @throws EmojeInputError naming `samples` (not a non-empty array of finite numbers, or shorter than 25 ms),
 * `sampleRate`, or `model` (no `audio` vector modality).
 */
export async function predictSpeechEmotion(model: EmojePredictor, samples: Float32Array | Float64Array, sampleRate: number): Promise<SpeechEmotion> {
  const audio = model.config.modalities.find((m) => m.name === 'audio');
  if (!audio || audio.kind !== 'vector') {
    throw new EmojeInputError('model', "a model with an 'audio' vector modality (e.g. loadPretrained('emodb'))", model.config.modalities.map((m) => m.name).join(', '));
  }
  if (!(samples instanceof Float32Array || samples instanceof Float64Array)) {
    throw new EmojeInputError('samples', 'a Float32Array or Float64Array of mono samples', typeof samples);
  }
  if (typeof sampleRate === 'number' && sampleRate > 0 && samples.length < MIN_SECONDS * sampleRate) {
    throw new EmojeInputError('samples', `at least ${MIN_SECONDS * 1000} ms of audio (${Math.ceil(MIN_SECONDS * sampleRate)} samples at ${sampleRate} Hz)`, `${samples.length} samples`);
  }
  const features = extractAudioFeatures(samples, sampleRate);
  const vector = speechVector(features, audio.dim);
  const [prediction] = await model.predict({ utterances: [{ speaker: 'speaker', features: { audio: vector } }] });
  // The audio vector is present and finite, so the model predicts it; anything else is a bug worth a clear message.
  if (prediction.status !== 'predicted') throw new EmojeInputError('samples', 'audio the model can use', 'no usable modality');
  return { label: prediction.label, probabilities: prediction.probabilities };
}
