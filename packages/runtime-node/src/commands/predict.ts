import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { EmojeInputError, describeFileValue, describeJsonSyntaxError } from '@emoje/core';
import type { DialogueInput, ModalityConfig } from '@emoje/model';
import { loadModelFromFlag } from './model-path';
import { featurizeManifest, featurizeManifestFile } from '../manifest';
import { pretrainedModelDir } from '../pretrained-dir';
import { embedDialogueTexts, loadSentenceEncoder, sentenceModalities } from '../sentence-features';
import { cacheDirFrom } from './embedding';
import { EMBEDDING_CACHE_HELP } from './options';
import type { CommandRegistrar } from '../program';
import { renderTable } from '../table';
import { readDataFile } from '../user-files';
import { addDataOptions, mediaOptions, type DataCommandOptions } from './data-options';

/**
 * Reads a dialogue JSON file: one dialogue `{utterances: [...]}` or an array of them. The file must be a regular file
 * of at most 256 MiB; errors name the file and field, never its content.
 */
export async function readDialogues(path: string): Promise<DialogueInput[]> {
  const text = await readDataFile(path, '--input', 'a readable JSON file with a dialogue or an array of dialogues');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EmojeInputError('--input', 'a JSON file with a dialogue or an array of dialogues', `${JSON.stringify(path)}, ${describeJsonSyntaxError(error)}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((d, i) => {
    if (!d || typeof d !== 'object' || !Array.isArray((d as DialogueInput).utterances)) {
      throw new EmojeInputError(`--input[${i}].utterances`, 'an array of utterances', describeFileValue((d as DialogueInput | null)?.utterances));
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
  const command = program
    .command('predict')
    .description('predict every utterance of the dialogue(s) in a JSON file')
    .option('--model <dir>', 'folder of a saved model or ensemble')
    .option('--pretrained <name>', "a model bundled in @emoje/pretrained instead of --model: 'meld' (7 emotions from plain-text dialogues), 'emodb' (speech emotion from a WAV), 'mosi'")
    .option('--wav <file>', 'one WAV file: a one-utterance dialogue whose audio is that file (e.g. with --pretrained emodb)')
    .option('--input <file>', 'JSON file of dialogue(s): {"utterances":[{"speaker":"A","text":"...","features":{"audio":[...]}}]} or an array of them')
    .option('--manifest <file>', 'JSON dialogue manifest of media files: {"utterances":[{"speaker":"A","wav":"a.wav","keypoints":"a.json"}]}')
    .option('--modalities <names>', 'use only these modalities (comma-separated); the others count as missing')
    .option('--embedding-cache <dir>', EMBEDDING_CACHE_HELP)
    .option('--json', 'print the predictions as JSON', false);
  addDataOptions(command, { maxUtterances: false }).action(
    async (
      options: { model?: string; pretrained?: string; wav?: string; input?: string; manifest?: string; modalities?: string; json: boolean; embeddingCache?: string } & DataCommandOptions,
      command: Command,
    ) => {
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
      const model = await loadModelFromFlag(options.model ? '--model' : '--pretrained', modelDir);
      try {
        let dialogues: DialogueInput[];
        if (options.manifest) {
          const { dialogue, warnings } = await featurizeManifestFile(options.manifest, model.config.modalities, undefined, mediaOptions(options));
          for (const warning of warnings) context.io.err(`warning: ${warning}\n`);
          dialogues = [dialogue];
        } else if (options.wav) {
          // The user pointed at this one file: its own folder is the data folder it is confined to.
          const wav = resolve(options.wav);
          const { dialogue, warnings } = await featurizeManifest({ utterances: [{ speaker: 'speaker', wav: basename(wav) }] }, model.config.modalities, {
            baseDir: dirname(wav),
            media: mediaOptions(options),
            locate: () => '--wav',
          });
          if (warnings.length > 0) throw new EmojeInputError('--wav', 'a WAV file the model can read (it needs an audio modality)', warnings.join('; '));
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
            ...(u.status === 'predicted'
              ? [
                  u.label,
                  u.probabilities[u.label].toFixed(3),
                  ...names.map((n) => (u.missing.includes(n) ? (u.imputed.includes(n) ? `imputed ${u.modalityWeights[n].toFixed(2)}` : 'missing') : u.modalityWeights[n].toFixed(2))),
                ]
              : ['(no usable modality)', '-', ...names.map(() => 'missing')]),
          ]),
        );
        context.io.out(renderTable(['utterance', 'speaker', 'label', 'p', ...names.map((n) => `${n} weight`)], rows));
      } finally {
        model.dispose();
      }
    },
  );
};
