/** What a pretrained model is, what it expects and how well it does (measured by its training script). */
export interface PretrainedInfo {
  name: string;
  description: string;
  /** Class names in output order. */
  classes: string[];
  /** Modalities with their feature widths, as the model expects them. */
  modalities: { name: string; dim: number; features: string }[];
  /** Test-split results written by the training script (see the package README). */
  files: { model: string; weights: string };
  license: string;
  /** Measured figures, with the command and results file they come from. */
  figures?: string;
  /** What the training data imply for use (language, clip length, acted speech, ...). */
  caveats?: string;
}

/** The catalog of bundled models. */
export const PRETRAINED: Record<'mosi' | 'emodb', PretrainedInfo> = {
  mosi: {
    name: 'mosi',
    description: 'AM²-EmoJE trained once on CMU-MOSI (bc-LSTM utterance features) with modality dropout; binary sentiment; works with any subset of text, audio and visual.',
    classes: ['negative', 'positive'],
    modalities: [
      { name: 'text', dim: 100, features: 'bc-LSTM text CNN utterance features' },
      { name: 'audio', dim: 73, features: 'bc-LSTM openSMILE audio utterance features' },
      { name: 'visual', dim: 100, features: 'bc-LSTM 3D-CNN visual utterance features' },
    ],
    files: { model: 'mosi/model.json', weights: 'mosi/weights.bin' },
    license: 'MIT (weights trained on CMU-MOSI features from declare-lab/multimodal-deep-learning, MIT)',
  },
  emodb: {
    name: 'emodb',
    description:
      'Speech emotion from audio alone: AM²-EmoJE with the audio preset, trained on EmoDB (9 speakers, early stopping on speaker 16); 7 emotions. Give it a WAV (predictSpeechEmotionFromWav, Node) or raw samples at any rate (predictSpeechEmotion, e.g. microphone samples in a browser).',
    classes: ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'],
    modalities: [{ name: 'audio', dim: 163, features: 'audioFunctionals(extractAudioFeatures(samples, rate)) of @emoje/encoders: 16 kHz, MFCC/log-mel statistics, pitch, energy and eGeMAPS-like parameters' }],
    files: { model: 'emodb/model.json', weights: 'emodb/weights.bin' },
    license: 'MIT (weights); trained on EmoDB, CC0-1.0 (Burkhardt et al. 2005)',
    figures:
      "Speaker-independent (leave-one-speaker-out over the 10 EmoDB speakers, same features and preset, no speaker normalisation, seed 1; benchmarks/results/speech-no-speaker-norm.json from `npm run bench:speech -- --paths vector --seeds 1 --no-speaker-norm --no-markdown --out benchmarks/results/speech-no-speaker-norm.json`): UAR 62.2, accuracy 67.5, weighted F1 64.8 (chance UAR 14.3). This model's own dev speaker (16, never trained on): UAR 51.4 (assets/emodb/metrics.json).",
    caveats:
      'Acted German speech by 10 professional speakers reading 10 fixed sentences, recorded in a quiet studio; the public copy it was trained on is cut or zero-padded to 2-second clips. Expect much lower accuracy on spontaneous speech, other languages, noisy or far-field microphones, and clips much longer than 2 s. It sees one clip at a time, without the per-speaker normalisation that gives bench:speech its headline.',
  },
};

export type PretrainedName = keyof typeof PRETRAINED;

/** The info of `name`, or an error listing the known names. */
export function pretrainedInfo(name: string): PretrainedInfo {
  const info = (PRETRAINED as Record<string, PretrainedInfo>)[name];
  if (!info) throw new Error(`pretrained model: expected one of ${Object.keys(PRETRAINED).join(', ')}, received ${JSON.stringify(name)}`);
  return info;
}
