import { FACE_API_EXPRESSIONS } from '@emoje/encoders';
import { WEB_BACKENDS, describeBackend, loadModelCached, type BackendSelection, type DialogueInput, type EmojeModel, type UtterancePrediction, type WebBackendName } from '@emoje/runtime-web';
import { textEmotionModel, type TextDialogue, type TextEmotionModel } from '@emoje/pretrained';
import { MAX_TEXT_CHARACTERS } from '@emoje/sentence-encoder';
import { loadUseLite } from '@emoje/sentence-encoder/browser';
import { buildDialogue, expressionMenu, modalityRole, tokenBudget, truncationNote, widthOf, type UtteranceRow } from './dialogue';
import { startRecording, type Recording } from './microphone';
import { chipText, renderCards } from './results';
import { describeModel, requestedModel, type MeldBenchmark } from './model-choice';
import { DEMO_MODEL_KEY, DEMO_MODEL_URL, MELD_MODEL_KEY, MELD_URLS, requestedBackend, startBackend } from './runtime';
import type { DemoState } from './demo-state';
import { statusLine } from './status';

const $ = <T extends Element>(selector: string, root: ParentNode = document) => {
  const element = root.querySelector<T>(selector);
  if (!element) throw new Error(`the page has no ${selector}`);
  return element;
};

const status = statusLine($<HTMLParagraphElement>('#status'), $<HTMLProgressElement>('#progress'));
const rowsList = $<HTMLOListElement>('#rows');
const template = $<HTMLTemplateElement>('#row-template');
const form = $<HTMLFormElement>('#conversation');
const predictButton = $<HTMLButtonElement>('#predict');
const privacy = $<HTMLInputElement>('#privacy');
const backendSelect = $<HTMLSelectElement>('#backend');
const resultsSection = $<HTMLElement>('#results-section');
const resultsTitle = $<HTMLHeadingElement>('#results-title');
const results = $<HTMLOListElement>('#results');
const resultsEmpty = $<HTMLParagraphElement>('#results-empty');
const staleBanner = $<HTMLParagraphElement>('#stale');
const legend = $<HTMLParagraphElement>('#legend');
const modelSelect = $<HTMLSelectElement>('#model');
const modelAbout = $<HTMLDivElement>('#model-about');
const privacyControl = $<HTMLSpanElement>('#privacy-control');

declare const __MELD_BENCHMARK__: MeldBenchmark;

const state: DemoState = { ready: Promise.resolve(), fallbacks: [], choice: requestedModel() };
(window as unknown as { emojeDemo: DemoState }).emojeDemo = state;

/** Per row element: its recorded audio vector. */
const audioByRow = new WeakMap<HTMLLIElement, Float32Array>();
let recording: { row: HTMLLIElement; recording: Recording; timer: number } | null = null;
/** True while the model loads or predicts: the Predict button then only says so. */
let busy = true;

const lineOf = (li: Element) => [...rowsList.children].indexOf(li) + 1;

function renumber(): void {
  [...rowsList.children].forEach((li, i) => {
    li.setAttribute('aria-label', `Line ${i + 1}`);
    $<HTMLSpanElement>('.line-number', li).textContent = String(i + 1);
    for (const control of li.querySelectorAll<HTMLElement>('button')) {
      const name = control.getAttribute('name');
      control.setAttribute('aria-label', `${name === 'record' ? (control.getAttribute('aria-pressed') === 'true' ? 'Stop recording' : 'Record audio') : 'Remove'} for line ${i + 1}`);
    }
  });
}

/** Marks the shown predictions out of date (once per prediction), saying why, in the results and beside every line. */
function markStale(reason: string): void {
  if (!state.lastPredictions || state.stale) return;
  state.stale = reason;
  resultsSection.dataset.stale = 'true';
  staleBanner.hidden = false;
  staleBanner.textContent = `Out of date: ${reason} after these predictions. Press “Predict emotions” to update them.`;
  for (const chip of rowsList.querySelectorAll<HTMLOutputElement>('output.row-result')) {
    if (chip.textContent) chip.dataset.stale = 'true';
  }
  status.show(`The predictions are out of date (${reason}); press “Predict emotions” to update them.`);
}

function clearStale(): void {
  state.stale = undefined;
  delete resultsSection.dataset.stale;
  staleBanner.hidden = true;
  staleBanner.textContent = '';
}

/** The face menu of one row: the expressions matching a class of the model first, the others apart. */
function fillFaceMenu(select: HTMLSelectElement, classes: readonly string[] | null): void {
  const chosen = select.value;
  select.replaceChildren(new Option('no face', ''));
  if (!classes) {
    for (const name of FACE_API_EXPRESSIONS) select.append(new Option(name, name));
  } else {
    const menu = expressionMenu(classes);
    const known = document.createElement('optgroup');
    known.label = 'the model’s classes';
    for (const { expression, className } of menu.matched) known.append(new Option(expression === className ? expression : `${expression} (${className})`, expression));
    select.append(known);
    if (menu.unmatched.length) {
      const other = document.createElement('optgroup');
      other.label = 'not a class of this model';
      for (const expression of menu.unmatched) other.append(new Option(expression, expression));
      select.append(other);
    }
  }
  select.value = chosen;
}

/** Under a line: a note when its text is longer than the model reads. */
function updateRowNote(li: HTMLLIElement): void {
  const note = $<HTMLParagraphElement>('.row-note', li);
  const text = $<HTMLInputElement>('input[name=text]', li).value.trim();
  if (state.choice === 'meld') {
    const cut = text.length > MAX_TEXT_CHARACTERS;
    note.hidden = !cut;
    note.textContent = cut ? `Long line: ${text.length} characters, the sentence encoder reads only the first ${MAX_TEXT_CHARACTERS}; the rest is ignored.` : '';
    return;
  }
  const tokens = state.model?.config.modalities.find((m) => m.kind === 'tokens');
  const budget = tokens && text && tokens.kind === 'tokens' ? tokenBudget(text, tokens) : null;
  note.hidden = !budget?.truncated;
  note.textContent = budget?.truncated ? `Long line: ${truncationNote(tokens!.name, budget)}.` : '';
  note.id ||= `row-note-${Math.random().toString(36).slice(2)}`;
  const input = $<HTMLInputElement>('input[name=text]', li);
  if (budget?.truncated) input.setAttribute('aria-describedby', note.id);
  else input.removeAttribute('aria-describedby');
}

function addRow(speaker = '', text = ''): HTMLLIElement {
  const li = template.content.firstElementChild!.cloneNode(true) as HTMLLIElement;
  fillFaceMenu($<HTMLSelectElement>('select[name=expression]', li), state.model?.config.classes ?? null);
  applyModelShape(li);
  $<HTMLInputElement>('input[name=speaker]', li).value = speaker;
  $<HTMLInputElement>('input[name=text]', li).value = text;
  $<HTMLInputElement>('input[name=text]', li).addEventListener('input', () => updateRowNote(li));
  $<HTMLButtonElement>('button[name=remove]', li).addEventListener('click', () => {
    const next = (li.nextElementSibling ?? li.previousElementSibling) as HTMLLIElement | null;
    if (recording?.row === li) void toggleRecording(li);
    const line = lineOf(li);
    li.remove();
    renumber();
    markStale(`line ${line} was removed`);
    (next ? $<HTMLInputElement>('input[name=text]', next) : $<HTMLButtonElement>('#add-row')).focus();
  });
  $<HTMLButtonElement>('button[name=record]', li).addEventListener('click', () => void toggleRecording(li));
  rowsList.append(li);
  renumber();
  return li;
}

/** Hides the face menu or the record button of a row when the model has no such modality. */
function applyModelShape(li: HTMLLIElement): void {
  const model = state.model;
  if (!model) return;
  const roles = model.config.modalities.map(modalityRole);
  $<HTMLLabelElement>('label.face', li).hidden = !roles.includes('face');
  $<HTMLButtonElement>('button[name=record]', li).hidden = !roles.includes('audio');
  $<HTMLSpanElement>('.audio-status', li).hidden = !roles.includes('audio');
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
    markStale(`line ${lineOf(li)} was recorded`);
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

/** Writes each prediction beside its line (and clears the lines the model did not read). */
function showBesideRows(from: readonly number[], predictions: readonly UtterancePrediction[]): void {
  const items = [...rowsList.children] as HTMLLIElement[];
  for (const li of items) {
    const chip = $<HTMLOutputElement>('output.row-result', li);
    chip.textContent = '';
    delete chip.dataset.label;
    delete chip.dataset.stale;
  }
  rowsList.classList.toggle('has-results', predictions.length > 0);
  predictions.forEach((p, i) => {
    const chip = $<HTMLOutputElement>('output.row-result', items[from[i]]);
    chip.textContent = chipText(p);
    if (p.status === 'predicted') chip.dataset.label = p.label;
  });
}

/** The rows as a plain-text dialogue for a text model: every line with words, in order (blank lines are skipped). */
function textDialogue(rows: readonly UtteranceRow[]): { dialogue: TextDialogue; rows: number[]; notes: string[][] } {
  const kept = rows.flatMap((row, index) => (row.text.trim() ? [{ row, index }] : []));
  return {
    dialogue: { utterances: kept.map(({ row }) => ({ speaker: row.speaker.trim() || 'A', text: row.text.trim() })) },
    rows: kept.map((k) => k.index),
    notes: kept.map(({ row }) =>
      row.text.trim().length > MAX_TEXT_CHARACTERS ? [`text: ${row.text.trim().length} characters, the sentence encoder reads only the first ${MAX_TEXT_CHARACTERS}; the rest is ignored`] : [],
    ),
  };
}

/** Lets the browser paint (the busy state) before the model takes the main thread. */
const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function predict(): Promise<void> {
  const model = state.model;
  // while loading or predicting the button is aria-disabled (it keeps the focus) and the status line says why
  if (busy || !model) return;
  const rows = readRows();
  const text = state.textModel;
  const { dialogue, rows: from, notes } = text ? textDialogue(rows) : buildDialogue(rows, model.config, { privacy: privacy.checked });
  if (dialogue.utterances.length === 0) {
    status.show('Type at least one utterance (or record audio) first.', { error: true });
    return;
  }
  busy = true;
  predictButton.setAttribute('aria-disabled', 'true');
  resultsSection.setAttribute('aria-busy', 'true');
  const n = dialogue.utterances.length;
  status.show(`Predicting ${n} utterance${n === 1 ? '' : 's'} on ${state.selection?.backend}…`, { progress: 'busy' });
  try {
    await nextPaint();
    const started = performance.now();
    const predictions = text ? await text.predict(dialogue as TextDialogue) : await model.predict(dialogue as DialogueInput);
    const ms = performance.now() - started;
    state.lastDialogue = dialogue;
    state.lastPredictions = predictions;
    clearStale();
    renderCards(results, rows, from, notes, predictions, model);
    showBesideRows(from, predictions);
    resultsEmpty.hidden = true;
    legend.hidden = !predictions.some((p) => p.imputed.length > 0 || p.missing.length > 0);
    const cut = notes.filter((lines) => lines.some((l) => l.includes('reads only the first'))).length;
    const limit = text ? `sentence encoder's ${MAX_TEXT_CHARACTERS}-character` : `model's ${model.config.modalities.find((m) => m.kind === 'tokens')?.maxTokens}-token`;
    status.show(
      `Predicted ${n} utterance${n === 1 ? '' : 's'} in ${ms.toFixed(0)} ms on ${state.selection?.backend}${privacy.checked ? ', without the face (privacy)' : ''}${cut ? `; ${cut} long line${cut === 1 ? ' was' : 's were'} cut to the ${limit} limit` : ''}.`,
    );
    resultsTitle.focus();
  } catch (error) {
    status.show(`Prediction failed: ${(error as Error).message}`, { error: true });
  } finally {
    busy = false;
    predictButton.setAttribute('aria-disabled', 'false');
    resultsSection.setAttribute('aria-busy', 'false');
  }
}

/** One utterance with every modality present: run once after loading, it compiles the backend's kernels and proves the backend can run the model. */
function warmUpDialogue(model: EmojeModel): DialogueInput {
  const features = Object.fromEntries(model.config.modalities.map((m) => [m.name, modalityRole(m) === 'text' ? 'hello' : new Float32Array(widthOf(m) ?? 0)]));
  return { utterances: [{ speaker: 'A', features: features as DialogueInput['utterances'][number]['features'] }] };
}

const BACKEND_NAMES: Record<string, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'plain JavaScript' };

/**
 * Why backends before the chosen one were passed over, for the status line, e.g. `WebGPU and WebGL skipped: they
 * run in software here (SwiftShader), slower than WebAssembly` (runtime-web's full reasons go in the status tooltip).
 */
function passedOver(selection: BackendSelection): string[] {
  const name = (a: BackendSelection['attempts'][number]) => BACKEND_NAMES[a.candidate] ?? a.candidate;
  const skipped = selection.attempts.filter((a) => a.skipped);
  const failed = selection.attempts.filter((a) => !a.ok && !a.absent && !a.skipped);
  return [
    ...(skipped.length ? [`${skipped.map(name).join(' and ')} skipped: ${skipped.length === 1 ? 'it runs' : 'they run'} in software here, slower than WebAssembly`] : []),
    ...failed.map((a) => `${name(a)} failed to start`),
  ];
}

/**
 * Selects a backend, loads the model and runs one warm-up prediction, saying at each step what it does. A backend
 * that starts but cannot run the model (e.g. headless WebGPU losing its device on a synchronous read) is recorded
 * and the next one is tried, unless `?backend=` forced it. "Best available" skips a software fallback WebGPU
 * adapter (runtime-web), which is slower than WebAssembly.
 */
async function start(): Promise<void> {
  const forced = requestedBackend();
  backendSelect.value = forced ?? '';
  let order: readonly WebBackendName[] = forced ? [forced] : WEB_BACKENDS;
  for (;;) {
    predictButton.textContent = 'Predict emotions (loading the model…)';
    status.show(`Starting ${forced ? BACKEND_NAMES[forced] : 'the best available backend'}… (step 1 of 3)`, { progress: 0.05 });
    const selection = await startBackend(forced ? { backend: forced, reinit: true } : { order, reinit: state.fallbacks.length > 0 });
    const skipped = passedOver(selection);
    const on = `${BACKEND_NAMES[selection.backend] ?? selection.backend}${skipped.length ? ` (${skipped.join('; ')})` : ''}`;
    const started = performance.now();
    let model: EmojeModel | undefined;
    let text: TextEmotionModel | undefined;
    try {
      status.show(`Loading the model on ${on}… (step 2 of 3)`, { progress: 0.1 });
      if (state.choice === 'meld') {
        let cached = 0;
        // the MELD network is kept in IndexedDB like the synthetic model; USE-lite's files in the Cache API
        const [loaded, encoder] = await Promise.allSettled([
          loadModelCached(MELD_URLS.model, { key: MELD_MODEL_KEY }),
          loadUseLite({
            baseUrl: MELD_URLS.encoder,
            onProgress: (p) => {
              if (p.fromCache) cached++;
              status.show(`Loading the MELD model and its sentence encoder (USE-lite, 26 MB, kept in the browser's cache after the first visit) on ${on}: file ${p.loaded} of ${p.total}${p.fromCache ? ' (from the cache)' : ''} (step 2 of 3)`, {
                progress: 0.1 + (0.7 * p.loaded) / p.total,
              });
            },
          }),
        ]);
        if (loaded.status === 'rejected' || encoder.status === 'rejected') {
          if (loaded.status === 'fulfilled') loaded.value.model.dispose();
          if (encoder.status === 'fulfilled') encoder.value.dispose();
          throw loaded.status === 'rejected' ? loaded.reason : (encoder as PromiseRejectedResult).reason;
        }
        model = loaded.value.model;
        try {
          text = textEmotionModel(model, encoder.value); // checks that the model reads this encoder's vectors
        } catch (error) {
          encoder.value.dispose();
          throw error;
        }
        state.modelSource = loaded.value.source;
        state.encoderFromCache = cached;
        status.show(`Preparing ${BACKEND_NAMES[selection.backend] ?? selection.backend}: a first prediction compiles its kernels… (step 3 of 3)`, { progress: 0.85 });
        await nextPaint();
        await text.predict({ utterances: [{ speaker: 'A', text: 'hello' }] });
      } else {
        const loaded = await loadModelCached(DEMO_MODEL_URL, {
          key: DEMO_MODEL_KEY,
          onProgress: (f) => status.show(`Downloading the model on ${on}: ${Math.round(100 * f)}% (step 2 of 3)`, { progress: 0.1 + 0.7 * f }),
        });
        model = loaded.model;
        status.show(`Preparing ${BACKEND_NAMES[selection.backend] ?? selection.backend}: a first prediction compiles its kernels… (step 3 of 3)`, { progress: 0.85 });
        await nextPaint();
        await model.predict(warmUpDialogue(model));
        state.modelSource = loaded.source;
      }
      state.selection = selection;
      state.model = model;
      state.textModel = text;
    } catch (error) {
      try {
        if (text) text.dispose();
        else model?.dispose();
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
    for (const li of rowsList.children) {
      fillFaceMenu($<HTMLSelectElement>('select[name=expression]', li), model.config.classes);
      applyModelShape(li as HTMLLIElement);
      updateRowNote(li as HTMLLIElement);
    }
    describeFaceMenu(model);
    const roles = text
      ? `${model.config.modalities.map((m) => `${m.name} (USE-lite sentence vectors, encoder ${state.encoderFromCache ? `read from the browser's cache` : 'downloaded'})`).join(', ')}`
      : model.config.modalities.map((m) => `${m.name} (${modalityRole(m)})`).join(', ');
    const fellBack = state.fallbacks.length ? ` (${state.fallbacks.map((f) => BACKEND_NAMES[f.split(':')[0]] ?? f.split(':')[0]).join(', ')} could not run the model)` : '';
    status.show(
      `Ready: ${selection.backend} backend${fellBack}${skipped.length ? ` (${skipped.join('; ')})` : ''}; ${text ? 'MELD model' : 'model'} with ${roles} and classes ${model.config.classes.join(', ')}, loaded from ${state.modelSource === 'http' ? 'the server' : 'IndexedDB'} in ${(performance.now() - started).toFixed(0)} ms.`,
    );
    $<HTMLElement>('#status').title = describeBackend(selection);
    busy = false;
    predictButton.setAttribute('aria-disabled', 'false');
    predictButton.textContent = 'Predict emotions';
    return;
  }
}

/** One sentence under the conversation title on what the face menu offers for this model. */
function describeFaceMenu(model: EmojeModel): void {
  const help = $<HTMLSpanElement>('#face-help');
  if (state.choice === 'meld') {
    help.textContent = describeModel('meld', __MELD_BENCHMARK__).inputs;
    return;
  }
  if (!model.config.modalities.some((m) => modalityRole(m) === 'face')) {
    help.textContent = 'This model has no face modality, so there is no face menu.';
    return;
  }
  const menu = expressionMenu(model.config.classes);
  const matched = menu.matched.map((m) => (m.expression === m.className ? m.expression : `${m.expression} as ${m.className}`)).join(', ');
  help.textContent =
    `Face: the expression a face detector would read on the speaker; ${menu.matched.length} of its ${FACE_API_EXPRESSIONS.length} expressions match the model's ${model.config.classes.length} classes (${matched}).` +
    (menu.unmatched.length ? ` The others (${menu.unmatched.join(', ')}) are listed apart: the model never learnt them and reads them as a mix of its classes.` : '');
}

/** The model menu, the paragraph on the chosen model, and (for MELD) no privacy switch: it reads only text. */
function showModelChoice(): void {
  const about = describeModel(state.choice, __MELD_BENCHMARK__);
  modelSelect.value = state.choice;
  document.documentElement.dataset.model = state.choice;
  modelAbout.replaceChildren(
    ...about.about.map((sentence, i) => {
      const p = document.createElement('p');
      if (state.choice === 'demo' && i === 0) p.className = 'warning';
      p.textContent = sentence;
      return p;
    }),
  );
  privacyControl.hidden = state.choice === 'meld';
  privacy.disabled = state.choice === 'meld';
}

showModelChoice();
addRow('Ann', '');
addRow('Ben', '');
$<HTMLButtonElement>('#add-row').addEventListener('click', () => {
  const last = rowsList.lastElementChild;
  const previousSpeaker = last ? $<HTMLInputElement>('input[name=speaker]', last).value : '';
  const speakers = [...new Set(readRows().map((r) => r.speaker).filter(Boolean))];
  const next = speakers.length >= 2 ? speakers.find((s) => s !== previousSpeaker) ?? '' : '';
  $<HTMLInputElement>('input[name=text]', addRow(next)).focus();
});
form.addEventListener('input', (event) => {
  const target = event.target as HTMLElement;
  if (target === backendSelect || target === modelSelect) return;
  if (target === privacy) markStale(`the privacy switch was turned ${privacy.checked ? 'on' : 'off'}`);
  else {
    const li = target.closest('li.row');
    if (li) markStale(`line ${lineOf(li)} was edited`);
  }
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void predict();
});
modelSelect.addEventListener('change', () => {
  const url = new URL(location.href);
  if (modelSelect.value === 'meld') url.searchParams.delete('model');
  else url.searchParams.set('model', modelSelect.value);
  location.assign(url);
});
backendSelect.addEventListener('change', () => {
  const url = new URL(location.href);
  if (backendSelect.value) url.searchParams.set('backend', backendSelect.value);
  else url.searchParams.delete('backend');
  location.assign(url);
});
state.ready = start().catch((error: unknown) => {
  status.show(`Could not start: ${(error as Error).message}`, { error: true });
  throw error;
});
