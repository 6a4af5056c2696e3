import { EmojeInputError } from '@emoje/core';
import type { ResolvedModalityConfig } from './config';

/**
 * What a dataset gives, as far as a model cares: its class names in label order and its modalities. Any
 * `DialogueDataset` of `@emoje/datasets` is one (`kind` `'vector'` with `dim`, or `'text'`).
 */
export interface DatasetSchema {
  classes: readonly string[];
  modalities: readonly { name: string; kind: string; dim?: number }[];
}

/** What a model reads: its classes and modality configs (an `EmojeModel`'s `config`). */
export interface ModelSchema {
  classes: readonly string[];
  modalities: readonly ResolvedModalityConfig[];
}

function list(names: readonly string[]): string {
  return `[${names.join(', ')}]`;
}

function describeModel(m: ResolvedModalityConfig): string {
  return m.kind === 'vector' ? `a vector of width ${m.dim}` : 'text (tokens)';
}

function describeDataset(m: DatasetSchema['modalities'][number]): string {
  if (m.kind === 'vector') return `a vector of width ${m.dim}`;
  if (m.kind === 'text' || m.kind === 'tokens') return 'text';
  return `kind '${m.kind}'`;
}

/**
 * Every difference between what `model` reads and what `dataset` gives: class names and their order (a label `k`
 * must mean the same class to both), modality names, kinds (a model's token modality reads a dataset's text; a
 * vector modality reads vectors) and vector widths.
 * @returns one line per difference; empty when they match.
 * @example
 * schemaDifferences(model.config, mosi);
 * // ["classes: the model has [neutral, joy, anger], the dataset [negative, positive]", "modality 'audio' of the dataset: the model has no such input", ...]
 */
export function schemaDifferences(model: ModelSchema, dataset: DatasetSchema): string[] {
  const out: string[] = [];
  const a = model.classes;
  const b = dataset.classes;
  if (a.length !== b.length || a.some((c, i) => c !== b[i])) {
    const sameSet = a.length === b.length && [...a].sort().every((c, i) => c === [...b].sort()[i]);
    out.push(
      sameSet
        ? `classes in another order: the model has ${list(a)}, the dataset ${list(b)}`
        : `classes: the model has ${list(a)}, the dataset ${list(b)}`,
    );
  }
  const given = new Map(dataset.modalities.map((m) => [m.name, m]));
  for (const m of model.modalities) {
    const d = given.get(m.name);
    if (!d) {
      out.push(`modality '${m.name}' (${describeModel(m)}): absent from the dataset`);
      continue;
    }
    const datasetText = d.kind === 'text' || d.kind === 'tokens';
    if (m.kind === 'vector' && d.kind === 'vector') {
      if (d.dim !== m.dim) out.push(`modality '${m.name}': the model reads a vector of width ${m.dim}, the dataset gives width ${d.dim}`);
    } else if (!(m.kind === 'tokens' && datasetText)) {
      out.push(`modality '${m.name}': the model reads ${describeModel(m)}, the dataset gives ${describeDataset(d)}`);
    }
  }
  const read = new Set(model.modalities.map((m) => m.name));
  for (const d of dataset.modalities) {
    if (!read.has(d.name)) out.push(`modality '${d.name}' of the dataset (${describeDataset(d)}): the model has no such input`);
  }
  return out;
}

/**
 * Checks that `dataset` gives what `model` reads (see {@link schemaDifferences}).
 * @throws EmojeInputError naming `field` and listing every difference.
 */
export function assertDatasetMatchesModel(model: ModelSchema, dataset: DatasetSchema, field = 'dataset'): void {
  const differences = schemaDifferences(model, dataset);
  if (differences.length > 0) {
    throw new EmojeInputError(field, "the model's classes and modalities", `${differences.length} difference${differences.length > 1 ? 's' : ''}: ${differences.join('; ')}`);
  }
}
