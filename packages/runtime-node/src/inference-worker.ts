/**
 * Worker-thread entry of {@link createInferencePool}: initialises the backend, loads the saved
 * model (or ensemble), then answers `PoolRequest`s with predictions, or with every dialogue's outcome when one fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { DialogueInput, EmojeEnsemble, EmojeModel } from '@emoje/model';
import type { SentenceEncoder } from '@emoje/sentence-encoder';
import { initBackend } from './backend';
import { loadModelOrEnsemble } from './fs-io';
import type { DialogueOutcome, PoolRequest, PoolResponse, PoolWorkerData } from './inference-pool';
import { embedDialogueTexts, loadSentenceEncoder, sentenceModalities } from './sentence-features';

const port = parentPort!;
const data = workerData as PoolWorkerData;
const post = (message: PoolResponse) => port.postMessage(message);

let model: EmojeModel | EmojeEnsemble;
// A model on sentence vectors reads text: each worker embeds its chunk's texts with the model's encoder.
let encoder: SentenceEncoder | null = null;
try {
  await initBackend({ backend: data.backend });
  model = await loadModelOrEnsemble(data.modelDir);
  const sentence = sentenceModalities(model.config.modalities);
  if (sentence.length > 0) encoder = await loadSentenceEncoder(sentence[0].encoder!);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

const withVectors = (dialogues: DialogueInput[]) => embedDialogueTexts(dialogues, model.config.modalities, encoder, { dir: null });

async function predictChunk(request: PoolRequest): Promise<PoolResponse> {
  try {
    return { id: request.id, ok: true, predictions: JSON.stringify(await model.predictBatch(await withVectors(request.dialogues), request.options)) };
  } catch {
    // Some dialogue fails: give each its own outcome, so the pool can name the ones at fault and keep the others.
    const outcomes: DialogueOutcome[] = [];
    for (const dialogue of request.dialogues) {
      try {
        const [embedded] = await withVectors([dialogue]);
        outcomes.push({ p: await model.predict(embedded, request.options) });
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        outcomes.push({ e: { message: e.message, name: e.name } });
      }
    }
    return { id: request.id, ok: false, outcomes: JSON.stringify(outcomes) };
  }
}

port.on('message', (request: PoolRequest) => {
  // Fault injection for the pool's tests (InferencePoolOptions.exitOnDialogueId): die as a killed worker would.
  if (data.exitOnDialogueId !== undefined && request.dialogues.some((d) => d?.id === data.exitOnDialogueId)) process.exit(70);
  void predictChunk(request).then(post);
});
