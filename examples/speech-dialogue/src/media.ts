import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SeededRandom } from '@emoje/core';

/** The two speaking styles the example tells apart. */
export const STYLES = ['calm', 'excited'] as const;
export type Style = (typeof STYLES)[number];

const SENTENCES = [
  'I did not expect to see you here today',
  'we should talk about the trip next week',
  'the results came in this morning',
  'can you pass me the blue folder',
  'I think the train leaves at nine',
  'she told me the whole story yesterday',
  'let us meet again after lunch',
  'this is the best coffee in town',
];

/** True when Debian's `espeak-ng` can be run. */
export function hasEspeak(): boolean {
  return spawnSync('espeak-ng', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Speaks `text` into a WAV file with espeak-ng: calm = low pitch and slow, excited = high pitch and fast. */
export function speak(text: string, style: Style, file: string, voice: string): void {
  const [pitch, speed, amplitude] = style === 'excited' ? ['85', '210', '170'] : ['25', '120', '90'];
  const run = spawnSync('espeak-ng', ['-v', voice, '-p', pitch, '-s', speed, '-a', amplitude, '-w', file, text]);
  if (run.status !== 0) throw new Error(`espeak-ng failed for "${text}": ${run.stderr?.toString() ?? run.error?.message}`);
}

/** COCO-17 keypoints of an upper body whose arms move a lot (excited) or little (calm); some frames are missed. */
export function bodyKeypoints(style: Style, rng: SeededRandom, frames = 20): string {
  const amplitude = style === 'excited' ? 18 : 3;
  const base: [number, number][] = [
    [100, 40], [95, 35], [105, 35], [90, 38], [110, 38], [80, 70], [120, 70], [70, 105], [130, 105],
    [65, 140], [135, 140], [88, 150], [112, 150], [88, 200], [112, 200], [88, 250], [112, 250],
  ];
  const phase = rng.next() * 6;
  const list = Array.from({ length: frames }, (_, f) =>
    rng.next() < 0.05
      ? null
      : base.map(([x, y], j) => {
          const arm = j >= 7 && j <= 10 ? amplitude : amplitude / 6;
          return { x: x + arm * Math.sin(phase + f / 2 + j) + rng.next(), y: y + arm * Math.cos(phase + f / 3) + rng.next(), score: 0.9 };
        }),
  );
  return JSON.stringify({ layout: 'coco17', frames: list });
}

/** One generated dialogue: a manifest file (with its media beside it) and the true style of each utterance. */
export interface GeneratedDialogue {
  manifest: string;
  styles: Style[];
}

/**
 * Writes `count` two-speaker dialogues of real synthesized speech and synthetic body keypoints into `dir`;
 * speaker A speaks with one voice, speaker B with another; each utterance's style is random.
 */
export async function generateDialogues(dir: string, count: number, seed: number, length = 4): Promise<GeneratedDialogue[]> {
  const rng = new SeededRandom(seed);
  const out: GeneratedDialogue[] = [];
  for (let d = 0; d < count; d++) {
    const styles: Style[] = [];
    const utterances = [];
    for (let u = 0; u < length; u++) {
      const style = STYLES[rng.int(2)];
      const speaker = u % 2 ? 'B' : 'A';
      const name = `s${seed}_d${d}_u${u}`;
      speak(SENTENCES[rng.int(SENTENCES.length)], style, join(dir, `${name}.wav`), speaker === 'A' ? 'en-us' : 'en-gb');
      await writeFile(join(dir, `${name}.pose.json`), bodyKeypoints(style, rng));
      styles.push(style);
      utterances.push({ speaker, wav: `${name}.wav`, keypoints: `${name}.pose.json` });
    }
    const manifest = join(dir, `s${seed}_d${d}.manifest.json`);
    await writeFile(manifest, JSON.stringify({ utterances }));
    out.push({ manifest, styles });
  }
  return out;
}
