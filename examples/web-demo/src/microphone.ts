import { AudioFeatureExtractor } from '@emoje/encoders';

/** A running microphone recording; `stop()` ends it and returns the audio utterance vector. */
export interface Recording {
  /** Seconds recorded so far. */
  readonly seconds: number;
  stop(): Promise<{ vector: Float32Array; seconds: number; frames: number }>;
}

/**
 * Records from the microphone and featurizes while recording: every audio block goes straight into the
 * project's streaming `AudioFeatureExtractor` (at the device's sample rate; it resamples to 16 kHz), and
 * `stop()` flushes it and returns the 77-wide utterance vector. Nothing leaves the page.
 * @throws when the page has no microphone access (the browser's error, e.g. `NotAllowedError`).
 */
export async function startRecording(): Promise<Recording> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const context = new AudioContext();
  try {
    await context.audioWorklet.addModule(new URL('./recorder-worklet.js', import.meta.url));
  } catch (error) {
    stream.getTracks().forEach((t) => t.stop());
    await context.close();
    throw error;
  }
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, 'emoje-recorder');
  const extractor = new AudioFeatureExtractor(context.sampleRate);
  let samples = 0;
  node.port.onmessage = (event: MessageEvent<Float32Array>) => {
    samples += event.data.length;
    extractor.push(event.data);
  };
  source.connect(node);
  return {
    get seconds() {
      return samples / context.sampleRate;
    },
    async stop() {
      source.disconnect();
      node.port.onmessage = null;
      stream.getTracks().forEach((t) => t.stop());
      await context.close();
      const features = extractor.flush();
      return { vector: features.utteranceVector, seconds: samples / context.sampleRate, frames: features.mfcc.length };
    },
  };
}
