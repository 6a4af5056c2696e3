import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EmojeInputError } from '@emoje/core';
import type { DialogueInput, ModalityConfig } from '@emoje/model';
import { loadModelOrEnsemble } from '../fs-io';
import { featurizeManifest, featurizeManifestFile } from '../manifest';
import { pretrainedModelDir } from '../pretrained-dir';
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
    .option('--pretrained <name>', "a model of @emoje/pretrained instead of --model, e.g. 'emodb' (speech emotion from a WAV)")
    .option('--wav <file>', 'one WAV file: a one-utterance dialogue whose audio is that file (e.g. with --pretrained emodb)')
    .option('--input <file>', 'JSON file of dialogue(s): {"utterances":[{"speaker":"A","text":"...","features":{"audio":[...]}}]} or an array of them')
    .option('--manifest <file>', 'JSON dialogue manifest of media files: {"utterances":[{"speaker":"A","wav":"a.wav","keypoints":"a.json"}]}')
    .option('--modalities <names>', 'use only these modalities (comma-separated); the others count as missing')
    .option('--json', 'print the predictions as JSON', false)
    .action(async (options: { model?: string; pretrained?: string; wav?: string; input?: string; manifest?: string; modalities?: string; json: boolean }, command: Command) => {
      const inputs = (['input', 'manifest', 'wav'] as const).filter((k) => options[k] != null);
      if (inputs.length !== 1) {
        throw new EmojeInputError('--input / --manifest / --wav', 'exactly one of them', inputs.length ? inputs.map((k) => `--${k}`).join(' and ') : 'none');
      }
      if ((options.model == null) === (options.pretrained == null)) {
        throw new EmojeInputError('--model / --pretrained', 'exactly one of them', options.model ? 'both' : 'neither');
      }
      // resolved before the backend starts, so a wrong name fails fast
      const modelDir = options.model ?? pretrainedModelDir(options.pretrained!);
      await context.initBackend(command);
      const model = await loadModelOrEnsemble(modelDir);
      try {
        let dialogues: DialogueInput[];
        if (options.manifest) {
          const { dialogue, warnings } = await featurizeManifestFile(options.manifest, model.config.modalities);
          for (const warning of warnings) context.io.err(`warning: ${warning}\n`);
          dialogues = [dialogue];
        } else if (options.wav) {
          const { dialogue, warnings } = await featurizeManifest({ utterances: [{ speaker: 'speaker', wav: resolve(options.wav) }] }, model.config.modalities);
          if (warnings.length > 0) throw new EmojeInputError('--wav', 'a WAV file the model can read (it needs an audio modality)', warnings.join('; '));
          dialogues = [dialogue];
        } else {
          dialogues = (await readDialogues(options.input!)).map((d) => withTextInputs(d, model.config.modalities));
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
