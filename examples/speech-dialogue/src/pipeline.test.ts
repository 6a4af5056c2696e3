import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasEspeak } from './media';
import { runSpeechExample } from './pipeline';

// CI installs espeak-ng and sets EMOJE_REQUIRE_ESPEAK=1, so there the test can never be skipped.
const available = hasEspeak();
if (!available && process.env.EMOJE_REQUIRE_ESPEAK === '1') {
  throw new Error('EMOJE_REQUIRE_ESPEAK=1 but espeak-ng is not installed (apt-get install espeak-ng)');
}

// Said once in the output, so a skipped run says why.
if (!available) console.info('speech dialogue example skipped: espeak-ng is not installed (apt-get install espeak-ng)');

describe.skipIf(!available)(available ? 'speech dialogue example (espeak-ng)' : 'speech dialogue example (skipped: espeak-ng is not installed)', () => {
  it('learns calm vs excited from synthesized speech and body motion, and predicts from a manifest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emoje-speech-test-'));
    try {
      const lines: string[] = [];
      const result = await runSpeechExample({ dir, trainDialogues: 10, testDialogues: 4, epochs: 25, log: (l) => lines.push(l) });
      expect(result.warnings).toEqual([]);
      expect(result.accuracy.both).toBeGreaterThanOrEqual(0.85);
      expect(result.accuracy.audio).toBeGreaterThanOrEqual(0.75);
      expect(result.accuracy.body).toBeGreaterThanOrEqual(0.75);
      expect(result.firstDialogue).toHaveLength(4);
      for (const p of result.firstDialogue) expect(p.modalityWeights.audio + p.modalityWeights.body).toBeCloseTo(1, 5);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
