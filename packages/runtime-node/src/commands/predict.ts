import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EmojeInputError } from '@emoje/core';
import type { DialogueInput, ModalityConfig } from '@emoje/model';
import { loadModelOrEnsemble } from '../fs-io';
import { embedDialogueTexts, loadSentenceEncoder, sentenceModalities } from '../sentence-features';
import { cacheDirFrom } from './embedding';
import { EMBEDDING_CACHE_HELP } from './options';
import { loadPretrainedModel, PRETRAINED } from '@emoje/pretrained/node';
import { featurizeManifestFile } from '../manifest';
import type { CommandRegistrar } from '../program';
import { renderTable } from '../table';

/** Reads a dialogue JSON file: one dialogue `{utterances: [...]}` or an array of them. */
export async function readDialogues(path: string): Promise<DialogueInput[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new EmojeInputError('--input', 'a readable JSON file with a dialogue or an array of dialogues', `${path} (${(error as Error).message})`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((d, i) => {
    if (!d || typeof d !== 'object' || !Array.isArray((d as DialogueInput).utterances)) {
      throw new EmojeInputError(`--input[${i}].utterances`, 'an array of utterances', JSON.stringify(d).slice(0, 80));
    }
  });
  return list as DialogueInput[];
}

/**
 * Fills each token (text) modality of the model from the utterance's `text` field when `features` does not give it,
 * so that a dialogue file can carry plain `{"speaker": "A", "text": "..."}` utterances.
 */
export function withTextInputs(dialogue: DialogueInput, modalities: readonly ModalityConfig[]): DialogueInput {
  const tokenModalities = modalities.filter((m) => m.kind === 'tokens').map((m) => m.name);
  if (tokenModalities.length === 0) return dialogue;
  return {
    ...dialogue,
    utterances: dialogue.utterances.map((u) => {
      const text = (u as { text?: unknown }).text;
      if (typeof text !== 'string') return u;
      const features = { ...(u.features ?? {}) };
      for (const name of tokenModalities) if (features[name] == null) features[name] = text;
      return { ...u, features };
    }),
  };
}

/** `emoje predict`: per-utterance emotion, probability, modality weights and imputed modalities. */
export const registerPredictCommand: CommandRegistrar = (program, context) => {
  program
    .command('predict')
    .description('predict every utterance of the dialogue(s) in a JSON file')
    .option('--model <dir>', 'folder of a saved model or ensemble')
    .option('--pretrained <name>', `a bundled pretrained model instead of --model: ${Object.keys(PRETRAINED).join(', ')} (meld reads plain-text dialogues)`)
    .option('--input <file>', 'JSON file of dialogue(s): {"utterances":[{"speaker":"A","text":"...","features":{"audio":[...]}}]} or an array of them')
    .option('--manifest <file>', 'JSON dialogue manifest of media files: {"utterances":[{"speaker":"A","wav":"a.wav","keypoints":"a.json"}]}')
    .option('--modalities <names>', 'use only these modalities (comma-separated); the others count as missing')
    .option('--embedding-cache <dir>', EMBEDDING_CACHE_HELP)
    .option('--json', 'print the predictions as JSON', false)
    .action(async (options: { model?: string; pretrained?: string; input?: string; manifest?: string; modalities?: string; json: boolean; embeddingCache?: string }, command: Command) => {
      if ((options.input == null) === (options.manifest == null)) {
        throw new EmojeInputError('--input / --manifest', 'exactly one of them', options.input ? 'both' : 'neither');
      }
      if ((options.model == null) === (options.pretrained == null)) {
        throw new EmojeInputError('--model / --pretrained', 'exactly one of them', options.model ? 'both' : 'neither');
      }
      await context.initBackend(command);
      const model = options.pretrained ? await loadPretrainedModel(options.pretrained) : await loadModelOrEnsemble(options.model!);
      try {
        let dialogues: DialogueInput[];
        if (options.manifest) {
          const { dialogue, warnings } = await featurizeManifestFile(options.manifest, model.config.modalities);
          for (const warning of warnings) context.io.err(`warning: ${warning}\n`);
          dialogues = [dialogue];
        } else {
          dialogues = (await readDialogues(options.input!)).map((d) => withTextInputs(d, model.config.modalities));
        }
        // Sentence-vector modalities: the utterances' text embedded with the model's own encoder.
        const sentence = sentenceModalities(model.config.modalities);
        if (sentence.length > 0) {
          const encoder = await loadSentenceEncoder(sentence[0].encoder!);
          try {
            dialogues = await embedDialogueTexts(dialogues, model.config.modalities, encoder, { dir: cacheDirFrom(options.embeddingCache) });
          } finally {
            encoder.dispose();
          }
        }
        const predictions = await model.predictBatch(dialogues, { modalities: options.modalities?.split(',').map((s) => s.trim()) });
        if (options.json) {
          context.io.out(`${JSON.stringify(predictions, null, 2)}\n`);
          return;
        }
        const names = model.config.modalities.map((m) => m.name);
        const rows = predictions.flatMap((dialogue, d) =>
          dialogue.map((u, i) => [
            `${predictions.length > 1 ? `${d}:` : ''}${i}`,
            String(dialogues[d].utterances[i].speaker),
            u.label,
            u.probabilities[u.label].toFixed(3),
            ...names.map((n) => (u.missing.includes(n) ? (u.imputed.includes(n) ? `imputed ${u.modalityWeights[n].toFixed(2)}` : 'missing') : u.modalityWeights[n].toFixed(2))),
          ]),
        );
        context.io.out(renderTable(['utterance', 'speaker', 'label', 'p', ...names.map((n) => `${n} weight`)], rows));
      } finally {
        model.dispose();
      }
    });
};
