import { EmojeInputError } from '@emoje/core';
import type { DialogueInput, EmojeModel, UtterancePrediction } from '@emoje/model';
import type { SentenceEncoder } from '@emoje/sentence-encoder';

/** One turn of a plain-text dialogue. */
export interface TextUtterance {
  speaker: string | number;
  text: string;
}

/** A plain-text dialogue: `{ utterances: [{ speaker, text }] }`, in speaking order. */
export interface TextDialogue {
  utterances: TextUtterance[];
}

/**
 * An emotion model over plain-text dialogues: each utterance's text is embedded with the sentence encoder the model
 * was trained on, then the model predicts every utterance in its dialogue context.
 */
export interface TextEmotionModel {
  /** The underlying model (its text modality reads `encoder`'s vectors). */
  readonly model: EmojeModel;
  /** The sentence encoder, loaded to match `model` (same id). */
  readonly encoder: SentenceEncoder;
  /** The class names, in output order. */
  readonly classes: readonly string[];
  /** Predictions for every utterance of one dialogue. */
  predict(dialogue: TextDialogue): Promise<UtterancePrediction[]>;
  /** Predictions for several dialogues, embedded in one encoder pass and predicted in one batch. */
  predictBatch(dialogues: TextDialogue[]): Promise<UtterancePrediction[][]>;
  /** Frees the model and the encoder. */
  dispose(): void;
}

/** Checks plain-text dialogues before any work, naming the first bad field (`dialogues[0].utterances[2].text`). */
export function checkTextDialogues(dialogues: readonly unknown[]): TextDialogue[] {
  if (!Array.isArray(dialogues)) throw new EmojeInputError('dialogues', 'an array of {utterances: [{speaker, text}]}', typeof dialogues);
  dialogues.forEach((d, i) => {
    const utterances = (d as TextDialogue | null)?.utterances;
    if (!Array.isArray(utterances) || utterances.length === 0) {
      throw new EmojeInputError(`dialogues[${i}].utterances`, 'a non-empty array of {speaker, text}', Array.isArray(utterances) ? 'an empty array' : typeof utterances);
    }
    utterances.forEach((u, k) => {
      const at = `dialogues[${i}].utterances[${k}]`;
      if (typeof u?.speaker !== 'string' && typeof u?.speaker !== 'number') throw new EmojeInputError(`${at}.speaker`, 'a string or number', typeof u?.speaker);
      if (typeof u.text !== 'string' || u.text.trim() === '') {
        throw new EmojeInputError(`${at}.text`, 'a non-blank string', typeof u.text === 'string' ? 'a blank string' : typeof u.text);
      }
    });
  });
  return dialogues as TextDialogue[];
}

/**
 * Joins a model on sentence vectors and its encoder into a {@link TextEmotionModel}.
 * @throws EmojeInputError when the model has no sentence-vector modality from `encoder` (its `encoder` id differs).
 */
export function textEmotionModel(model: EmojeModel, encoder: SentenceEncoder): TextEmotionModel {
  const modality = model.config.modalities.find((m) => m.kind === 'vector' && m.encoder !== undefined);
  if (!modality || modality.kind !== 'vector' || modality.encoder !== encoder.id) {
    throw new EmojeInputError('encoder', `the sentence encoder the model was trained on (${modality && modality.kind === 'vector' ? `'${modality.encoder}'` : 'none: the model reads no sentence vectors'})`, `'${encoder.id}'`);
  }
  const name = modality.name;
  const predictBatch = async (dialogues: TextDialogue[]): Promise<UtterancePrediction[][]> => {
    const checked = checkTextDialogues(dialogues);
    const texts = checked.flatMap((d) => d.utterances.map((u) => u.text));
    const tensor = await encoder.embed(texts);
    const flat = (await tensor.data()) as Float32Array;
    tensor.dispose();
    let k = 0;
    const inputs: DialogueInput[] = checked.map((d) => ({
      utterances: d.utterances.map((u) => ({ speaker: u.speaker, features: { [name]: flat.slice(k * encoder.dim, ++k * encoder.dim) } })),
    }));
    return model.predictBatch(inputs);
  };
  return {
    model,
    encoder,
    classes: model.config.classes,
    predictBatch,
    predict: async (dialogue) => (await predictBatch([dialogue]))[0],
    dispose: () => {
      model.dispose();
      encoder.dispose();
    },
  };
}
