import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AUDIO_UTTERANCE_VECTOR_WIDTH, POSE_UTTERANCE_VECTOR_WIDTH } from '@emoje/encoders';
import { createModel, evaluate, train, type DialogueInput, type UtterancePrediction } from '@emoje/model';
import { featurizeManifestFile, initBackend, loadModel, saveModel } from '@emoje/runtime-node';
import { STYLES, generateDialogues, type GeneratedDialogue } from './media';

const MODALITIES = [
  { name: 'audio', kind: 'vector' as const, dim: AUDIO_UTTERANCE_VECTOR_WIDTH },
  { name: 'body', kind: 'vector' as const, dim: POSE_UTTERANCE_VECTOR_WIDTH },
];

export interface SpeechExampleResult {
  /** Held-out accuracy with both modalities, audio only, body only (the privacy mode: no face, no voice). */
  accuracy: { both: number; audio: number; body: number };
  /** Predictions for the first held-out dialogue, read back from its manifest by the saved model. */
  firstDialogue: UtterancePrediction[];
  warnings: string[];
}

async function featurize(generated: GeneratedDialogue[], warnings: string[]): Promise<DialogueInput[]> {
  const out: DialogueInput[] = [];
  for (const g of generated) {
    const { dialogue, warnings: w } = await featurizeManifestFile(g.manifest, MODALITIES);
    warnings.push(...w);
    out.push({ utterances: dialogue.utterances.map((u, i) => ({ ...u, label: STYLES.indexOf(g.styles[i]) })) });
  }
  return out;
}

/**
 * Media to emotions, end to end: speech synthesized by espeak-ng (calm vs excited prosody) and body keypoints
 * -> manifest -> audio and body-pose features -> a small AM²-EmoJE model -> predictions on held-out dialogues.
 */
export async function runSpeechExample({ dir, trainDialogues = 12, testDialogues = 4, epochs = 30, log = console.log }: {
  dir: string;
  trainDialogues?: number;
  testDialogues?: number;
  epochs?: number;
  log?: (line: string) => void;
}): Promise<SpeechExampleResult> {
  await initBackend();
  await mkdir(dir, { recursive: true });
  const warnings: string[] = [];
  log(`synthesizing ${trainDialogues + testDialogues} dialogues with espeak-ng into ${dir}`);
  const trainSet = await featurize(await generateDialogues(dir, trainDialogues, 1), warnings);
  const heldOut = await generateDialogues(dir, testDialogues, 2);
  const testSet = await featurize(heldOut, warnings);

  const model = createModel({ modalities: MODALITIES, classes: [...STYLES], units: 16, contextUnits: 16, numHeads: 2, embeddingDim: 8, acnLayers: 1, seed: 3 });
  await train(model, { train: trainSet }, { epochs, batchSize: 4, learningRate: 3e-3, seed: 3 });
  const accuracy = {
    both: evaluate(model.network, testSet).accuracy,
    audio: evaluate(model.network, testSet, { scenario: ['audio'] }).accuracy,
    body: evaluate(model.network, testSet, { scenario: ['body'] }).accuracy,
  };
  log(`held-out accuracy: audio + body ${accuracy.both.toFixed(2)}, audio only ${accuracy.audio.toFixed(2)}, body only ${accuracy.body.toFixed(2)}`);

  const modelDir = join(dir, 'model');
  await saveModel(model, modelDir);
  model.dispose();
  const saved = await loadModel(modelDir);
  try {
    const { dialogue } = await featurizeManifestFile(heldOut[0].manifest, saved.config.modalities);
    const firstDialogue = await saved.predict(dialogue);
    firstDialogue.forEach((p, i) => log(p.status !== 'predicted' ? `utterance ${i}: no usable modality` : `utterance ${i}: ${p.label} (${p.probabilities[p.label].toFixed(2)}), truth ${heldOut[0].styles[i]}, weights ${JSON.stringify(p.modalityWeights)}`));
    log(`the same from the command line: npx emoje predict --model ${modelDir} --manifest ${heldOut[0].manifest}`);
    return { accuracy, firstDialogue, warnings };
  } finally {
    saved.dispose();
  }
}
