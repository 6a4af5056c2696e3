/**
 * Worker-thread entry of {@link createInferencePool}: initialises the backend, loads the saved
 * model (or ensemble), then answers `PoolRequest`s with predictions (or the index of the failing dialogue).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EmojeEnsemble, EmojeModel, UtterancePrediction } from '@emoje/model';
import { initBackend } from './backend';
import { loadModelOrEnsemble } from './fs-io';
import type { PoolRequest, PoolResponse, PoolWorkerData } from './inference-pool';
import { embedDialogueTexts, loadSentenceEncoder, sentenceModalities } from './sentence-features';
import type { SentenceEncoder } from '@emoje/sentence-encoder';

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

async function predictChunk(request: PoolRequest): Promise<PoolResponse> {
  const out: UtterancePrediction[][] = [];
  for (let i = 0; i < request.dialogues.length; i += data.batchSize) {
    let batch = request.dialogues.slice(i, i + data.batchSize);
    try {
      batch = await embedDialogueTexts(batch, model.config.modalities, encoder, { dir: null });
      out.push(...(await model.predictBatch(batch, request.options)));
    } catch (error) {
      // Find the dialogue at fault: the first of the batch that fails on its own.
      let index = i;
      for (let k = 0; k < batch.length; k++) {
        try {
          await model.predict(batch[k], request.options);
        } catch {
          index = i + k;
          break;
        }
      }
      const e = error instanceof Error ? error : new Error(String(error));
      return { id: request.id, ok: false, index: request.start + index, message: e.message, name: e.name };
    }
  }
  return { id: request.id, ok: true, predictions: JSON.stringify(out) };
}

port.on('message', (request: PoolRequest) => {
  void predictChunk(request).then(post);
});
