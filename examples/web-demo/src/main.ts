import { FACE_API_EXPRESSIONS } from '@emoje/encoders';
import { WEB_BACKENDS, describeBackend, loadModelCached, type BackendSelection, type DialogueInput, type EmojeModel, type UtterancePrediction } from '@emoje/runtime-web';
import { buildDialogue, modalityRole, widthOf, type UtteranceRow } from './dialogue';
import { startRecording, type Recording } from './microphone';
import { DEMO_MODEL_URL, requestedBackend, startBackend } from './runtime';
import type { WebBackendName } from '@emoje/runtime-web';

declare const __DEMO_MODEL_HASH__: string;

/** What the page exposes for the end-to-end tests and the curious (`window.emojeDemo`). */
export interface DemoState {
  ready: Promise<void>;
  selection?: BackendSelection;
  model?: EmojeModel;
  modelSource?: 'indexeddb' | 'http';
  /** The dialogue of the last prediction, as the model read it. */
  lastDialogue?: DialogueInput;
  lastPredictions?: UtterancePrediction[];
  /** Backends that started but could not run the model, with the error (the page then tried the next one). */
  fallbacks: string[];
}

const $ = <T extends Element>(selector: string, root: ParentNode = document) => {
  const element = root.querySelector<T>(selector);
  if (!element) throw new Error(`the page has no ${selector}`);
  return element;
};

const status = $<HTMLParagraphElement>('#status');
const rowsList = $<HTMLOListElement>('#rows');
const template = $<HTMLTemplateElement>('#row-template');
const form = $<HTMLFormElement>('#conversation');
const predictButton = $<HTMLButtonElement>('#predict');
const privacy = $<HTMLInputElement>('#privacy');
const backendSelect = $<HTMLSelectElement>('#backend');
const results = $<HTMLOListElement>('#results');
const resultsEmpty = $<HTMLParagraphElement>('#results-empty');

const state: DemoState = { ready: Promise.resolve(), fallbacks: [] };
(window as unknown as { emojeDemo: DemoState }).emojeDemo = state;

/** Per row element: its recorded audio vector. */
const audioByRow = new WeakMap<HTMLLIElement, Float32Array>();
let recording: { row: HTMLLIElement; recording: Recording; timer: number } | null = null;

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function renumber(): void {
  [...rowsList.children].forEach((li, i) => {
    for (const control of li.querySelectorAll<HTMLElement>('input, select, button')) {
      const name = control.getAttribute('name');
      if (name === 'record' || name === 'remove') control.setAttribute('aria-label', `${name === 'record' ? (control.getAttribute('aria-pressed') === 'true' ? 'Stop recording' : 'Record audio') : 'Remove'} for utterance ${i + 1}`);
    }
  });
}

function addRow(speaker = '', text = ''): HTMLLIElement {
  const li = template.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
  const expression = $<HTMLSelectElement>('select[name=expression]', li);
  for (const name of FACE_API_EXPRESSIONS) expression.append(new Option(name, name));
  $<HTMLInputElement>('input[name=speaker]', li).value = speaker;
  $<HTMLInputElement>('input[name=text]', li).value = text;
  $<HTMLButtonElement>('button[name=remove]', li).addEventListener('click', () => {
    const next = (li.nextElementSibling ?? li.previousElementSibling) as HTMLLIElement | null;
    if (recording?.row === li) void toggleRecording(li);
    li.remove();
    renumber();
    (next ? $<HTMLInputElement>('input[name=text]', next) : $<HTMLButtonElement>('#add-row')).focus();
  });
  $<HTMLButtonElement>('button[name=record]', li).addEventListener('click', () => void toggleRecording(li));
  rowsList.append(li);
  renumber();
  return li;
}

async function toggleRecording(li: HTMLLIElement): Promise<void> {
  const button = $<HTMLButtonElement>('button[name=record]', li);
  const label = $<HTMLSpanElement>('.audio-status', li);
  if (recording && recording.row === li) {
    const { recording: current, timer } = recording;
    recording = null;
    clearInterval(timer);
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Record audio';
    const { vector, seconds, frames } = await current.stop();
    if (frames === 0) {
      label.textContent = 'too short, no audio';
      audioByRow.delete(li);
    } else {
      audioByRow.set(li, vector);
      label.textContent = `audio: ${seconds.toFixed(1)} s`;
    }
    renumber();
    return;
  }
  if (recording) await toggleRecording(recording.row);
  try {
    const started = await startRecording();
    const timer = window.setInterval(() => (label.textContent = `recording ${started.seconds.toFixed(1)} s`), 200);
    recording = { row: li, recording: started, timer };
    button.setAttribute('aria-pressed', 'true');
    button.textContent = 'Stop recording';
    label.textContent = 'recording…';
  } catch (error) {
    label.textContent = `no microphone (${(error as Error).name || (error as Error).message})`;
  }
  renumber();
}

function readRows(): UtteranceRow[] {
  return [...rowsList.children].map((child) => {
    const li = child as HTMLLIElement;
    return {
      speaker: $<HTMLInputElement>('input[name=speaker]', li).value,
      text: $<HTMLInputElement>('input[name=text]', li).value,
      audio: audioByRow.get(li) ?? null,
      expression: $<HTMLSelectElement>('select[name=expression]', li).value,
    };
  });
}

function bars(className: string, caption: string, entries: [string, number, string[]][]): HTMLElement {
  const wrapper = document.createElement('div');
  const heading = document.createElement('div');
  heading.className = 'note';
  heading.textContent = caption;
  const grid = document.createElement('div');
  grid.className = `bars ${className}`;
  grid.setAttribute('role', 'list');
  grid.setAttribute('aria-label', caption);
  for (const [name, value, tags] of entries) {
    const item = document.createElement('div');
    item.setAttribute('role', 'listitem');
    item.style.display = 'contents';
    const label = document.createElement('span');
    label.textContent = name;
    for (const tag of tags) {
      const t = document.createElement('span');
      t.className = `tag ${tag}`;
      t.textContent = tag;
      label.append(t);
    }
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.display = 'block';
    fill.style.width = `${(100 * value).toFixed(1)}%`;
    bar.append(fill);
    const text = document.createElement('span');
    text.className = 'value';
    text.textContent = `${(100 * value).toFixed(1)}%`;
    item.append(label, bar, text);
    grid.append(item);
  }
  wrapper.append(heading, grid);
  return wrapper;
}

function render(rows: UtteranceRow[], from: number[], notes: string[][], predictions: UtterancePrediction[], model: EmojeModel): void {
  results.replaceChildren();
  resultsEmpty.hidden = predictions.length > 0;
  predictions.forEach((p, i) => {
    const row = rows[from[i]];
    const li = document.createElement('li');
    li.className = 'result';
    const title = document.createElement('h3');
    title.textContent = `${row.speaker.trim() || 'A'}: ${row.text.trim() ? `“${row.text.trim()}”` : '(no words)'}`;
    if (p.status !== 'predicted') {
      const none = document.createElement('p');
      none.textContent = 'No usable modality: nothing to predict from.';
      li.append(title, none);
      results.append(li);
      return;
    }
    li.dataset.label = p.label;
    const emotion = document.createElement('p');
    emotion.innerHTML = `Emotion: <span class="emotion"></span> (${(100 * p.probabilities[p.label]).toFixed(1)}%)`;
    $<HTMLSpanElement>('.emotion', emotion).textContent = p.label;
    const probabilities = bars('probabilities', 'Class probabilities', model.config.classes.map((c) => [c, p.probabilities[c], []]));
    const weights = bars(
      'weights',
      'How much each modality counted (query-adaptive fusion weights)',
      model.config.modalities.map((m) => [m.name, p.modalityWeights[m.name], p.imputed.includes(m.name) ? ['imputed'] : p.missing.includes(m.name) ? ['missing'] : []]),
    );
    li.append(title, emotion, probabilities, weights);
    for (const note of notes[i]) {
      const n = document.createElement('p');
      n.className = 'note';
      n.textContent = note;
      li.append(n);
    }
    results.append(li);
  });
}

async function predict(): Promise<void> {
  const model = state.model;
  if (!model) return;
  const rows = readRows();
  const { dialogue, rows: from, notes } = buildDialogue(rows, model.config, { privacy: privacy.checked });
  if (dialogue.utterances.length === 0) {
    setStatus('Type at least one utterance (or record audio) first.', true);
    return;
  }
  predictButton.disabled = true;
  try {
    const started = performance.now();
    const predictions = await model.predict(dialogue);
    const ms = performance.now() - started;
    state.lastDialogue = dialogue;
    state.lastPredictions = predictions;
    render(rows, from, notes, predictions, model);
    setStatus(`Predicted ${predictions.length} utterance${predictions.length === 1 ? '' : 's'} in ${ms.toFixed(0)} ms on ${state.selection?.backend}${privacy.checked ? ', without the face (privacy)' : ''}.`);
  } catch (error) {
    setStatus(`Prediction failed: ${(error as Error).message}`, true);
  } finally {
    predictButton.disabled = false;
  }
}

/** One utterance with every modality present: run once after loading, it compiles the backend's kernels and proves the backend can run the model. */
function warmUpDialogue(model: EmojeModel): DialogueInput {
  const features = Object.fromEntries(model.config.modalities.map((m) => [m.name, modalityRole(m) === 'text' ? 'hello' : new Float32Array(widthOf(m) ?? 0)]));
  return { utterances: [{ speaker: 'A', features: features as DialogueInput['utterances'][number]['features'] }] };
}

/**
 * Selects a backend, loads the model and runs one warm-up prediction. A backend that starts but cannot run the
 * model (e.g. headless WebGPU losing its device on a synchronous read) is recorded and the next one is tried,
 * unless `?backend=` forced it.
 */
async function start(): Promise<void> {
  const forced = requestedBackend();
  backendSelect.value = forced ?? '';
  let order: readonly WebBackendName[] = forced ? [forced] : WEB_BACKENDS;
  for (;;) {
    const selection = await startBackend(forced ? { backend: forced, reinit: true } : { order, reinit: state.fallbacks.length > 0 });
    const started = performance.now();
    let model: EmojeModel | undefined;
    try {
      const loaded = await loadModelCached(DEMO_MODEL_URL, { key: `emoje-web-demo/${__DEMO_MODEL_HASH__}` });
      model = loaded.model;
      await model.predict(warmUpDialogue(model));
      state.selection = selection;
      state.model = model;
      state.modelSource = loaded.source;
    } catch (error) {
      try {
        model?.dispose();
      } catch {
        // the backend is broken; its tensors go with it
      }
      if (forced || selection.backend === 'cpu') throw error;
      state.fallbacks.push(`${selection.backend}: ${(error as Error).message}`);
      console.warn(`emoje demo: the ${selection.backend} backend could not run the model (${(error as Error).message}); trying the next backend.`);
      order = order.slice(order.indexOf(selection.backend as WebBackendName) + 1);
      continue;
    }
    document.documentElement.dataset.backend = selection.backend;
    const roles = model.config.modalities.map((m) => `${m.name} (${modalityRole(m)})`).join(', ');
    const fellBack = state.fallbacks.length ? ` (${state.fallbacks.map((f) => f.split(':')[0]).join(', ')} could not run the model)` : '';
    setStatus(
      `Ready: ${selection.backend} backend${fellBack}; model with ${roles} and classes ${model.config.classes.join(', ')}, loaded from ${state.modelSource === 'http' ? 'the server' : 'IndexedDB'} in ${(performance.now() - started).toFixed(0)} ms.`,
    );
    status.title = describeBackend(selection);
    predictButton.disabled = false;
    return;
  }
}

addRow('Ann', '');
addRow('Ben', '');
$<HTMLButtonElement>('#add-row').addEventListener('click', () => {
  const last = rowsList.lastElementChild;
  const previousSpeaker = last ? $<HTMLInputElement>('input[name=speaker]', last).value : '';
  const speakers = [...new Set(readRows().map((r) => r.speaker).filter(Boolean))];
  const next = speakers.length >= 2 ? speakers.find((s) => s !== previousSpeaker) ?? '' : '';
  $<HTMLInputElement>('input[name=text]', addRow(next)).focus();
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void predict();
});
backendSelect.addEventListener('change', () => {
  const url = new URL(location.href);
  if (backendSelect.value) url.searchParams.set('backend', backendSelect.value);
  else url.searchParams.delete('backend');
  location.assign(url);
});
state.ready = start().catch((error: unknown) => {
  setStatus(`Could not start: ${(error as Error).message}`, true);
  throw error;
});
