import { FACE_API_EXPRESSIONS, faceFeatures, faceUtteranceVector, tokenize } from '@emoje/encoders';
import type { DialogueInput, ResolvedModelConfig } from '@emoje/runtime-web';

/** One row of the page's conversation table. */
export interface UtteranceRow {
  speaker: string;
  /** What was said (typed). */
  text: string;
  /** The audio utterance vector of the row's recording (`AudioFeatureExtractor`), or null. */
  audio: Float32Array | null;
  /** The facial expression chosen for the row (one of {@link FACE_API_EXPRESSIONS}), or '' for no face. */
  expression: string;
}

/** What the page fills each model modality with. */
export type ModalityRole = 'text' | 'audio' | 'face' | 'unsupported';

/** The demo's reading of one model modality: a token modality gets the typed text, `audio` the microphone, `face`/`visual` the expression. */
export function modalityRole(modality: ResolvedModelConfig['modalities'][number]): ModalityRole {
  if ((modality.kind as string) === 'tokens') return 'text';
  if (/audio|speech|voice/i.test(modality.name)) return 'audio';
  if (/face|visual|video/i.test(modality.name)) return 'face';
  return 'unsupported';
}

/** Expression scores of a face frame: the chosen expression `strength`, the rest shared equally. */
export function expressionScores(expression: string, strength = 0.9): Record<string, number> {
  const index = (FACE_API_EXPRESSIONS as readonly string[]).indexOf(expression);
  if (index < 0) throw new Error(`expression: expected one of ${FACE_API_EXPRESSIONS.join(', ')}, received ${JSON.stringify(expression)}`);
  const rest = (1 - strength) / (FACE_API_EXPRESSIONS.length - 1);
  return Object.fromEntries(FACE_API_EXPRESSIONS.map((name, k) => [name, k === index ? strength : rest]));
}

/**
 * The face utterance vector of one expression (a single face frame with face-api.js-style expression scores,
 * through `faceFeatures` and `faceUtteranceVector`): 15 values.
 */
export function expressionVector(expression: string, strength = 0.9): Float32Array {
  return faceUtteranceVector(faceFeatures([{ expressions: expressionScores(expression, strength) }], { expressionKeys: FACE_API_EXPRESSIONS }));
}

/** The feature width of a vector modality, `undefined` for other kinds. */
export function widthOf(modality: ResolvedModelConfig['modalities'][number]): number | undefined {
  return 'dim' in modality && typeof modality.dim === 'number' ? modality.dim : undefined;
}

/** A token modality of the model (text read through its vocabulary, cut to `maxTokens`). */
type TokenModality = Extract<ResolvedModelConfig['modalities'][number], { kind: 'tokens' }>;

/** How much of a typed text a token modality reads: all of it, or only the first `maxTokens` tokens. */
export interface TokenBudget {
  /** Tokens in the text (words and punctuation marks, as the model's tokenizer splits them). */
  tokens: number;
  /** The most the model reads. */
  maxTokens: number;
  /** Whether the text is longer than that (the rest is ignored). */
  truncated: boolean;
  /** The last token the model reads. */
  lastRead: string;
}

/** Counts the tokens of `text` as `modality`'s tokenizer does and says whether the model cuts it. */
export function tokenBudget(text: string, modality: TokenModality): TokenBudget {
  const tokens = tokenize(text);
  const read = Math.min(tokens.length, modality.maxTokens);
  return { tokens: tokens.length, maxTokens: modality.maxTokens, truncated: tokens.length > modality.maxTokens, lastRead: read > 0 ? tokens[read - 1] : '' };
}

/** The note shown for a text the model cuts, e.g. `text: 812 words and marks, the model reads the first 48 (up to “again”)`. */
export function truncationNote(name: string, budget: TokenBudget): string {
  return `${name}: ${budget.tokens} words and punctuation marks, the model reads only the first ${budget.maxTokens} (up to “${budget.lastRead}”); the rest is ignored`;
}

/** Emotion class names each face-api.js expression stands for (a class of the model matches one of them). */
const EXPRESSION_CLASSES: Readonly<Record<(typeof FACE_API_EXPRESSIONS)[number], readonly string[]>> = {
  neutral: ['neutral'],
  happy: ['joy', 'happy', 'happiness'],
  sad: ['sadness', 'sad'],
  angry: ['anger', 'angry'],
  fearful: ['fear', 'fearful'],
  disgusted: ['disgust', 'disgusted'],
  surprised: ['surprise', 'surprised'],
};

/** The face menu for a model: expressions that match one of its classes (with the class), and the others. */
export interface ExpressionMenu {
  matched: { expression: string; className: string }[];
  unmatched: string[];
}

/** Splits the face-api.js expressions into those matching one of `classes` (case-insensitive) and the rest. */
export function expressionMenu(classes: readonly string[]): ExpressionMenu {
  const lower = classes.map((c) => c.toLowerCase());
  const menu: ExpressionMenu = { matched: [], unmatched: [] };
  for (const expression of FACE_API_EXPRESSIONS) {
    const index = lower.findIndex((c) => EXPRESSION_CLASSES[expression].includes(c));
    if (index >= 0) menu.matched.push({ expression, className: classes[index] });
    else menu.unmatched.push(expression);
  }
  return menu;
}

/** Options of {@link buildDialogue}. */
export interface BuildOptions {
  /** Privacy mode: every face modality is left out. */
  privacy: boolean;
}

/** The dialogue the model reads, plus what the page could not fill (shown to the user). */
export interface BuiltDialogue {
  dialogue: DialogueInput;
  /** The row each utterance came from (rows with no input at all are skipped). */
  rows: number[];
  /** Per utterance: modalities left out on purpose (privacy) or for want of input, and texts cut to the model's token limit. */
  notes: string[][];
}

/**
 * Turns the page's rows into a model dialogue, following `config.modalities`: token modalities get the typed
 * text, the audio modality the recorded vector (when its width matches), face modalities the expression vector
 * (unless `privacy`). Rows with neither text, audio nor expression are skipped. Speakers default to `A`.
 */
export function buildDialogue(rows: readonly UtteranceRow[], config: Pick<ResolvedModelConfig, 'modalities'>, options: BuildOptions): BuiltDialogue {
  const utterances: DialogueInput['utterances'] = [];
  const notes: string[][] = [];
  const from: number[] = [];
  for (const [index, row] of rows.entries()) {
    const features: Record<string, Float32Array | string | null> = {};
    const note: string[] = [];
    for (const m of config.modalities) {
      const role = modalityRole(m);
      let value: Float32Array | string | null = null;
      if (role === 'text') {
        value = row.text.trim() ? row.text.trim() : null;
        if (value !== null && m.kind === 'tokens') {
          const budget = tokenBudget(value, m as TokenModality);
          if (budget.truncated) note.push(truncationNote(m.name, budget));
        }
      } else if (role === 'audio' && row.audio) {
        const dim = widthOf(m);
        if (row.audio.length === dim) value = row.audio;
        else note.push(`${m.name}: the recording gives ${row.audio.length} values, the model wants ${dim ?? m.kind}`);
      } else if (role === 'face' && row.expression) {
        if (options.privacy) {
          note.push(`${m.name}: left out (privacy)`);
        } else {
          const v = expressionVector(row.expression);
          const dim = widthOf(m);
          if (v.length === dim) value = v;
          else note.push(`${m.name}: the expression gives ${v.length} values, the model wants ${dim ?? m.kind}`);
        }
      }
      if (value !== null) features[m.name] = value;
    }
    if (Object.keys(features).length === 0) continue;
    // a string is what a token modality reads (FeatureInput of @emoje/model)
    utterances.push({ speaker: row.speaker.trim() || 'A', features: features as DialogueInput['utterances'][number]['features'] });
    notes.push(note);
    from.push(index);
  }
  return { dialogue: { utterances }, rows: from, notes };
}
