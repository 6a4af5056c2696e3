/**
 * Worker-thread entry of {@link createInferencePool}: initialises the backend, loads the saved
 * model (or ensemble), then answers `PoolRequest`s with predictions, or with every dialogue's outcome when one fails.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EmojeEnsemble, EmojeModel } from '@emoje/model';
import { initBackend } from './backend';
import { loadModelOrEnsemble } from './fs-io';
import type { DialogueOutcome, PoolRequest, PoolResponse, PoolWorkerData } from './inference-pool';

const port = parentPort!;
const data = workerData as PoolWorkerData;
const post = (message: PoolResponse) => port.postMessage(message);

let model: EmojeModel | EmojeEnsemble;
try {
  await initBackend({ backend: data.backend });
  model = await loadModelOrEnsemble(data.modelDir);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

async function predictChunk(request: PoolRequest): Promise<PoolResponse> {
  try {
    return { id: request.id, ok: true, predictions: JSON.stringify(await model.predictBatch(request.dialogues, request.options)) };
  } catch {
    // Some dialogue fails: give each its own outcome, so the pool can name the ones at fault and keep the others.
    const outcomes: DialogueOutcome[] = [];
    for (const dialogue of request.dialogues) {
      try {
        outcomes.push({ p: await model.predict(dialogue, request.options) });
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
