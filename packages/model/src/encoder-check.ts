import { EmojeInputError } from '@emoje/core';
import type { ModalityConfig } from './config';

/** What {@link assertModalityEncoders} reads of a dataset's modality specs (the `ModalitySpec` of `@emoje/datasets`). */
export interface ModalitySpecLike {
  name: string;
  kind: string;
  dim?: number;
  encoder?: string;
}

function source(encoder: string | undefined): string {
  return encoder ? `vectors from the sentence encoder '${encoder}'` : 'vectors from no sentence encoder';
}

/**
 * Checks that data fits the sentence encoders a model was trained on: for every vector modality of the model, the
 * data's modality of the same name, when it is a vector modality, must come from the same encoder (`encoder` equal,
 * or absent on both). Text given as text (`kind: 'text'`) passes: the runtime embeds it with the model's encoder.
 *
 * @param where - how errors name the data's modalities, e.g. `dataset.modalities`.
 * @throws EmojeInputError naming the modality, e.g. `dataset.modalities[0].encoder: expected vectors from the sentence
 *   encoder 'use-lite-512@1' (the model 'text' modality was trained on them), received vectors from the sentence encoder 'other@2'`.
 */
export function assertModalityEncoders(model: readonly ModalityConfig[], data: readonly ModalitySpecLike[], where = 'dataset.modalities'): void {
  data.forEach((spec, i) => {
    const m = model.find((x) => x.name === spec.name);
    if (!m || m.kind !== 'vector' || spec.kind !== 'vector') return;
    if ((m.encoder ?? undefined) !== (spec.encoder ?? undefined)) {
      throw new EmojeInputError(
        `${where}[${i}].encoder`,
        `${source(m.encoder)} (the model's '${m.name}' modality was trained on them)`,
        source(spec.encoder),
        m.encoder ? `Give the utterances' text instead, and it is embedded with '${m.encoder}'` : undefined,
      );
    }
  });
}
