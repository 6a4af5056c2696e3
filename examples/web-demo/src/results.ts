import type { EmojeModel, UtterancePrediction } from '@emoje/runtime-web';
import type { UtteranceRow } from './dialogue';

/** The longest utterance quoted in a card's heading; the card says the rest is not shown. */
const QUOTE_CHARACTERS = 140;

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
    item.className = 'bar-item';
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = name;
    for (const tag of tags) {
      const t = document.createElement('span');
      t.className = `tag ${tag}`;
      t.textContent = tag;
      label.append(' ', t);
    }
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.className = 'fill';
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

/** `“text”`, cut to {@link QUOTE_CHARACTERS} characters with an ellipsis. */
export function quote(text: string): string {
  const t = text.trim();
  if (!t) return '(no words)';
  return t.length > QUOTE_CHARACTERS ? `“${t.slice(0, QUOTE_CHARACTERS).trimEnd()}…” (${t.length} characters, shortened here)` : `“${t}”`;
}

/** One line of the result chip beside a row: `joy 87%`. */
export function chipText(p: UtterancePrediction): string {
  if (p.status !== 'predicted') return 'no usable modality';
  return `${p.label} ${(100 * p.probabilities[p.label]).toFixed(0)}%`;
}

/**
 * Fills `list` with one card per prediction: the line's number, speaker and words, the emotion, class
 * probabilities, modality weights with `imputed` / `missing` tags (for a model with more than one modality), and the
 * notes of that line.
 */
export function renderCards(
  list: HTMLOListElement,
  rows: readonly UtteranceRow[],
  from: readonly number[],
  notes: readonly string[][],
  predictions: readonly UtterancePrediction[],
  model: EmojeModel,
): void {
  list.replaceChildren();
  predictions.forEach((p, i) => {
    const row = rows[from[i]];
    const li = document.createElement('li');
    li.className = 'result';
    li.value = from[i] + 1;
    li.id = `result-${from[i] + 1}`;
    const title = document.createElement('h3');
    title.textContent = `Line ${from[i] + 1}, ${row.speaker.trim() || 'A'}: ${quote(row.text)}`;
    if (p.status !== 'predicted') {
      const none = document.createElement('p');
      none.textContent = 'No usable modality: nothing to predict from.';
      li.append(title, none);
      list.append(li);
      return;
    }
    li.dataset.label = p.label;
    const emotion = document.createElement('p');
    emotion.append('Emotion: ');
    const name = document.createElement('span');
    name.className = 'emotion';
    name.textContent = p.label;
    emotion.append(name, ` (${(100 * p.probabilities[p.label]).toFixed(1)}%)`);
    const probabilities = bars('probabilities', 'Class probabilities', model.config.classes.map((c) => [c, p.probabilities[c], []]));
    const weights = bars(
      'weights',
      'How much each modality counted (query-adaptive fusion weights)',
      model.config.modalities.map((m) => [m.name, p.modalityWeights[m.name], p.imputed.includes(m.name) ? ['imputed'] : p.missing.includes(m.name) ? ['missing'] : []]),
    );
    // with one modality (MELD reads only text) the weights say nothing: that one modality always counts 100%
    li.append(title, emotion, probabilities, ...(model.config.modalities.length > 1 ? [weights] : []));
    for (const note of notes[i]) {
      const n = document.createElement('p');
      n.className = 'note';
      n.textContent = note;
      li.append(n);
    }
    list.append(li);
  });
}
