/**
 * The speech features in a page, for test/speech-features.test.ts: the same encoders code the Node runtime runs,
 * bundled for the browser. `emojeSpeech.features(samples, sampleRate, chunk)` streams the samples through an
 * AudioFeatureExtractor in `chunk`-sample blocks (as a microphone would deliver them).
 */
import { AudioFeatureExtractor, audioFrameFeatures, audioFunctionals } from '@emoje/encoders';

export function features(samples: number[], sampleRate: number, chunk: number): { utteranceVector: number[]; functionals: number[]; frames: number[][]; mfcc: number[][] } {
  const extractor = new AudioFeatureExtractor(sampleRate);
  const all = Float32Array.from(samples);
  for (let i = 0; i < all.length; i += chunk) extractor.push(all.subarray(i, i + chunk));
  const f = extractor.flush();
  return {
    utteranceVector: Array.from(f.utteranceVector),
    functionals: Array.from(audioFunctionals(f)),
    frames: audioFrameFeatures(f, 4).map((r) => Array.from(r)),
    mfcc: f.mfcc.map((m) => Array.from(m)),
  };
}
