/**
 * Embeds every MELD utterance with USE-lite through the on-disk embedding cache, twice: the first run fills the cache
 * (it embeds whatever the cache lacks), the second must be all cache hits. Writes benchmarks/results/meld-embedding.json.
 *
 *   npx tsx --conditions=@emoje/source benchmarks/embed-meld.ts [--cache <dir>]
 */
import { cpus } from 'node:os';
import { loadMeld } from '@emoje/datasets/node';
import { defaultEmbeddingCacheDir, embedTextModality, initBackend, describeBackend, writeFileAtomic } from '@emoje/runtime-node';
import { loadUseLite } from '@emoje/sentence-encoder/node';

const at = process.argv.indexOf('--cache');
const cacheDir = at > 0 ? process.argv[at + 1] : defaultEmbeddingCacheDir();
await initBackend();
const meld = await loadMeld();
const encoder = await loadUseLite();
const runs = [];
for (const run of [1, 2]) {
  const started = performance.now();
  let last = 0;
  const { stats } = await embedTextModality(meld, encoder, {
    dir: cacheDir,
    onProgress: ({ done, total }) => {
      if (done - last >= 1000 || done === total) {
        last = done;
        console.log(`run ${run}: embedded ${done} / ${total}`);
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(`run ${run}: ${JSON.stringify(stats)}, ${seconds.toFixed(1)} s in all`);
  runs.push({ run, ...stats, totalSeconds: seconds });
}
encoder.dispose();
await writeFileAtomic(
  'benchmarks/results/meld-embedding.json',
  `${JSON.stringify({ benchmark: 'MELD embedded with USE-lite through the embedding cache (run 2 reads run 1\'s cache)', command: 'npx tsx --conditions=@emoje/source benchmarks/embed-meld.ts', backend: describeBackend(), cpus: cpus().length, cpu: cpus()[0]?.model, date: new Date().toISOString(), runs }, null, 2)}\n`,
);
