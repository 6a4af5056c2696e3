import { PRETRAINED } from '@emoje/pretrained';
import { MAX_TEXT_CHARACTERS } from '@emoje/sentence-encoder';

/** The models the page offers: the real MELD text model (default) and the synthetic multimodal demo model. */
export const MODEL_CHOICES = ['meld', 'demo'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** The model named by `?model=` in the page URL; MELD when there is none (or an unknown one). */
export function requestedModel(search: string = location.search): ModelChoice {
  const name = new URLSearchParams(search).get('model');
  return (MODEL_CHOICES as readonly string[]).includes(name ?? '') ? (name as ModelChoice) : 'meld';
}

/** The 3-seed benchmark figure of the MELD recipe, read at build time from benchmarks/results/meld.json. */
export interface MeldBenchmark {
  weightedF1: number;
  std: number;
  seeds: number;
}

/** What the page says about a model: its menu label and a paragraph on what it is, its scores, data and licence. */
export interface ModelDescription {
  label: string;
  /** Sentences shown under the model menu. */
  about: string[];
  /** Why inputs other than text are hidden (MELD), or what they are for (demo). */
  inputs: string;
}

const percent = (x: number, digits = 2) => (100 * x).toFixed(digits);

/** The page's description of `choice`; MELD's figures come from `PRETRAINED.meld` and the benchmark file. */
export function describeModel(choice: ModelChoice, bench: MeldBenchmark): ModelDescription {
  if (choice === 'demo') {
    return {
      label: 'Synthetic demo (text, audio, face)',
      about: [
        'Trained on synthetic data: template sentences, rendered voices and made-up face expressions (4 classes: neutral, joy, sadness, anger).',
        'It is here to show how AM²-EmoJE fuses text, audio and face and fills in a missing modality; it is not an emotion recognizer for real speech or faces.',
      ],
      inputs: 'This model reads the words, a recording and a face expression: record a line, pick a face, or turn on privacy to see the others fill in.',
    };
  }
  const meld = PRETRAINED.meld;
  const results = meld.testResults!;
  return {
    label: 'MELD (real, text)',
    about: [
      `AM²-EmoJE trained on MELD (Friends TV dialogues): ${meld.classes.length} emotions (${meld.classes.join(', ')}) for every line, read in the context of the whole conversation.`,
      `Test weighted F1 ${percent(results.weightedF1)} (accuracy ${percent(results.accuracy!)}, MELD test split, this one model); the recipe's mean over ${bench.seeds} seeds is ${percent(bench.weightedF1, 1)} ± ${percent(bench.std, 1)} (npm run bench:meld).`,
      `Training data: ${meld.trainingData}.`,
      `Licence: ${meld.license}. The sentence encoder, USE-lite (26 MB), is downloaded once and kept in the browser's cache.`,
    ],
    inputs: `MELD reads only the words (up to ${MAX_TEXT_CHARACTERS.toLocaleString('en-US')} characters a line), so there is no recording, face menu or privacy switch with it. Choose the synthetic demo model to see audio and face fused with text.`,
  };
}
