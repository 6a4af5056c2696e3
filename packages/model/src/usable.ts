import type { DialogueInput } from './batch';

/**
 * `true` when at least one of `modalities` is present (neither `null` nor `undefined`) in the utterance's features.
 * A malformed utterance (no `features` object) counts as usable, so that validation reports it.
 */
export function hasUsableModality(utterance: DialogueInput['utterances'][number], modalities: readonly { name: string }[]): boolean {
  const features = utterance?.features as Record<string, unknown> | undefined;
  if (!features || typeof features !== 'object') return true;
  return modalities.some((m) => features[m.name] != null);
}

/** What {@link withoutUnusableUtterances} returns. */
export interface UsableDialogues {
  /** The dialogues without their unusable utterances; a dialogue left with none is dropped. */
  dialogues: DialogueInput[];
  /** How many utterances were dropped. */
  skipped: number;
}

/**
 * Drops every utterance with no present modality (a media file that was missing or broken, a WAV with no samples),
 * and every dialogue left empty, so that training can go on without them. The input is not changed.
 */
export function withoutUnusableUtterances(dialogues: readonly DialogueInput[], modalities: readonly { name: string }[]): UsableDialogues {
  let skipped = 0;
  const kept: DialogueInput[] = [];
  for (const dialogue of dialogues) {
    if (!dialogue || !Array.isArray(dialogue.utterances)) {
      kept.push(dialogue);
      continue;
    }
    const utterances = dialogue.utterances.filter((u) => hasUsableModality(u, modalities));
    skipped += dialogue.utterances.length - utterances.length;
    if (utterances.length === dialogue.utterances.length) kept.push(dialogue);
    else if (utterances.length > 0) kept.push({ ...dialogue, utterances });
  }
  return { dialogues: kept, skipped };
}
