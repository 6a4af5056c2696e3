/**
 * Converts the GloVe vectors of MELD's vocabulary (`meld_vocab_wink100d.json`, see data/glove/PROVENANCE.md)
 * into the compact word-vector file bundled with the package (float16, see `encodeWordVectors`).
 *
 *   npx tsx --conditions=@emoje/source packages/datasets/scripts/vendor-glove.ts <meld_vocab_wink100d.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeWordVectors } from '../src/word-vectors';

const input = process.argv[2];
if (!input) throw new Error('usage: vendor-glove.ts <meld_vocab_wink100d.json>');
const json = JSON.parse(readFileSync(input, 'utf8')) as { dims: number; vectors: Record<string, number[]> };
const words = Object.keys(json.vectors).sort();
const vectors = new Float32Array(words.length * json.dims);
words.forEach((w, i) => vectors.set(json.vectors[w], i * json.dims));
const out = fileURLToPath(new URL('../data/glove/glove-6b-100d-meld.ewv', import.meta.url));
const bytes = encodeWordVectors({ words, dim: json.dims, vectors });
writeFileSync(out, bytes);
console.log(`${words.length} words x ${json.dims} -> ${out} (${bytes.length} bytes)`);
