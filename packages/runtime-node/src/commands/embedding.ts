import type { DialogueDataset } from '@emoje/datasets';
import { USE_LITE_ID } from '@emoje/sentence-encoder';
import { defaultEmbeddingCacheDir } from '../embedding-cache';
import { embedTextModality, loadSentenceEncoder, type TextEmbeddingStats } from '../sentence-features';
import type { CliIO } from '../program';

/** The cache folder a command uses: the flag, else {@link defaultEmbeddingCacheDir}. */
export function cacheDirFrom(flag: string | undefined): string {
  return flag ?? defaultEmbeddingCacheDir();
}

/** One stderr line saying where the embedding cache is and what it served. */
export function formatEmbeddingStats(stats: TextEmbeddingStats): string {
  return `embedding cache: ${stats.cacheDir ?? 'off'} (${stats.encoder}): ${stats.hits} texts cached, ${stats.misses} embedded in ${stats.embedSeconds.toFixed(1)} s\n`;
}

/** Embeds a dataset's text with USE-lite through the cache, printing the cache's location and use on stderr. */
export async function embedDatasetText(dataset: DialogueDataset, cacheDir: string, io: CliIO): Promise<DialogueDataset> {
  if (!dataset.modalities.some((m) => m.kind === 'text')) return dataset;
  const encoder = await loadSentenceEncoder(USE_LITE_ID);
  try {
    let shown = 0;
    const { dataset: out, stats } = await embedTextModality(dataset, encoder, {
      dir: cacheDir,
      log: (line) => io.err(`warning: ${line}\n`),
      onProgress: ({ done, total }) => {
        if (done === total || done - shown >= 2000) {
          shown = done;
          io.err(`embedding text with ${encoder.id}: ${done} / ${total}\n`);
        }
      },
    });
    if (stats) io.err(formatEmbeddingStats(stats));
    return out;
  } finally {
    encoder.dispose();
  }
}
