/**
 * The README quotes what the shipped demo model (public/models/demo) scores on the synthetic test split and says about
 * the typed probe sentences. This test recomputes both from the shipped model and the script's own test split
 * (`makeDialogues`, seeded), so the README cannot drift from the model again.
 */
import { readFileSync } from 'node:fs';
import { parseDialogueJsonl } from '@emoje/datasets';
import { evaluateProtocols } from '@emoje/model';
import { initBackend, loadModel } from '@emoje/runtime-node';
import { describe, expect, it } from 'vitest';
import { PROBES, demoJsonl, makeDialogues } from '../scripts/train-demo-model';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const MODEL = new URL('../public/models/demo', import.meta.url).pathname;
/** What each probe sentence means, in the order of PROBES. */
const PROBE_TRUTH = ['joy', 'anger', 'sadness', 'anger', 'neutral', 'sadness', 'joy'];

describe('the web demo README quotes the shipped model', () => {
  it('test-split accuracy with text alone and with all three modalities, and how many probes it gets right', async () => {
    expect(PROBE_TRUTH).toHaveLength(PROBES.length);
    const quoted = /text alone ([\d.]+)%\s+accuracy,\s+all\s+three\s+([\d.]+)%/.exec(README);
    const probes = /in\s+the\s+shipped\s+model\s+(\d+)\s+of\s+the\s+(\d+)\s+are\s+right/.exec(README);
    expect(quoted, 'README: "text alone X% accuracy, all three Y%"').not.toBeNull();
    expect(probes, 'README: "in the shipped model N of the M are right"').not.toBeNull();

    await initBackend({ backend: 'wasm' });
    const model = await loadModel(MODEL);
    try {
      // The script's data is demoJsonl(360); its test split is makeDialogues(60, 3, 'test') whatever the other splits
      // hold (each split has its own seed), so only that split is made here, beside a small train and dev split.
      const small = demoJsonl(6).trimEnd().split('\n').filter((line) => !line.includes('"split":"test"'));
      const test = makeDialogues(Math.ceil(360 / 6), 3, 'test').map((d) => JSON.stringify(d));
      const { dataset } = parseDialogueJsonl([...small, ...test].join('\n') + '\n', { fileName: 'web-demo-synthetic.jsonl' });
      expect(dataset.test).toHaveLength(60);
      const results = evaluateProtocols(model.network, dataset.test, { missingRates: [] });
      const all = Object.keys(results.scenarios).reduce((a, b) => (b.length > a.length ? b : a));
      expect((100 * results.scenarios.T.accuracy).toFixed(1)).toBe(quoted![1]);
      expect((100 * results.scenarios[all].accuracy).toFixed(1)).toBe(quoted![2]);

      let right = 0;
      for (const [i, text] of PROBES.entries()) {
        const [p] = await model.predict({ utterances: [{ speaker: 'A', features: { text } }] });
        if (p.label === PROBE_TRUTH[i]) right += 1;
      }
      expect(`${right} of ${PROBES.length}`).toBe(`${probes![1]} of ${probes![2]}`);
    } finally {
      model.dispose();
    }
  }, 300_000);
});
