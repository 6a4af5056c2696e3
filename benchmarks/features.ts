/**
 * Feature-extraction speed: `extractAudioFeatures` on 60 s of synthetic speech-like audio at 16 kHz and
 * 44.1 kHz input (median of several runs after a warm-up), and `poseFeatures` on 10,000 COCO-17 frames.
 * Writes benchmarks/results/features.json and the `features` section of BENCHMARKS.md.
 *
 *   npm run bench:features
 *   npm run bench:features -- --runs 7 --seconds 30 --no-markdown
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { extractAudioFeatures, poseFeatures, poseUtteranceVector, type Keypoint } from '@emoje/encoders';
import { writeFileAtomic } from '@emoje/runtime-node';
import { updateBenchmarksSection } from './report';
import { SeededRandom } from '@emoje/core';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '60' },
    frames: { type: 'string', default: '10000' },
    out: { type: 'string', default: 'benchmarks/results/features.json' },
    'no-markdown': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const poseFrameCount = Number(values.frames);
/** The audio floor this benchmark guards: seconds of audio per second of compute. */
const AUDIO_FLOOR = 50;

/** Uniform [0, 1) numbers from a seeded generator. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/**
 * Speech-like audio: syllables of 120-280 ms with a gliding pitch (90-260 Hz, 10 harmonics with a
 * formant-like emphasis), fricative noise bursts, pauses of 0.2-0.8 s between phrases, a little noise floor.
 */
function speechLike(rate: number, duration: number, seed = 1): Float32Array {
  const random = rng(seed);
  const x = new Float32Array(Math.round(rate * duration));
  let t = 0.1;
  while (t < duration - 0.5) {
    const syllables = 3 + Math.floor(random() * 6);
    const base = 90 + 140 * random();
    for (let s = 0; s < syllables && t < duration - 0.4; s++) {
      const length = 0.12 + 0.16 * random();
      const f0 = base * (0.85 + 0.3 * random());
      const glide = (random() - 0.5) * 0.4;
      const start = Math.round(t * rate);
      const n = Math.round(length * rate);
      let phase = 0;
      for (let i = 0; i < n; i++) {
        const u = i / n;
        const env = Math.sin(Math.PI * u) ** 2;
        phase += (2 * Math.PI * f0 * (1 + glide * u)) / rate;
        let v = 0;
        for (let h = 1; h <= 10; h++) v += (Math.sin(h * phase) / h) * (h === 3 || h === 4 ? 2 : 1);
        x[start + i] += 0.12 * env * v;
      }
      t += length;
      if (random() < 0.3) {
        const fl = Math.round((0.05 + 0.08 * random()) * rate);
        const fs = Math.round(t * rate);
        for (let i = 0; i < fl && fs + i < x.length; i++) x[fs + i] += 0.05 * (random() - 0.5) * Math.sin((Math.PI * i) / fl);
        t += fl / rate;
      }
      t += 0.03 + 0.06 * random();
    }
    t += 0.2 + 0.6 * random();
  }
  for (let i = 0; i < x.length; i++) x[i] += 0.002 * (random() - 0.5);
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
}

function timeRuns(fn: () => unknown, n: number): number[] {
  fn(); // warm-up (JIT, tables)
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

// --- audio -----------------------------------------------------------------------------------
const audio: Record<string, { seconds: number; medianSeconds: number; runs: number[]; realtimeFactor: number; frames: number }> = {};
let example: ReturnType<typeof extractAudioFeatures> | undefined;
for (const rate of [16000, 44100]) {
  const x = speechLike(rate, seconds);
  let frames = 0;
  const times = timeRuns(() => {
    const f = extractAudioFeatures(x, rate);
    frames = f.logMel.length;
    if (rate === 16000) example = f;
  }, runs);
  const med = median(times);
  audio[String(rate)] = { seconds, medianSeconds: med, runs: times, realtimeFactor: seconds / med, frames };
  console.log(`audio ${rate} Hz: ${seconds} s in ${(med * 1000).toFixed(0)} ms (median of ${runs}) -> ${(seconds / med).toFixed(1)}x real time, ${frames} frames`);
}
const audioRealtimeFactor = Math.min(...Object.values(audio).map((a) => a.realtimeFactor));

// --- pose ------------------------------------------------------------------------------------
const random = rng(2);
const poseFrames: Array<Keypoint[] | null> = Array.from({ length: poseFrameCount }, (_, t) => {
  if (random() < 0.03) return null;
  const cx = 320 + 20 * Math.sin(t / 40);
  const base: Array<[number, number]> = [
    [0, -100], [12, -112], [-12, -112], [25, -105], [-25, -105],
    [80, 0], [-80, 0], [100, 100 + 20 * Math.sin(t / 9)], [-100, 100], [90, 190 + 40 * Math.sin(t / 7)], [-95, 200],
    [60, 230], [-60, 230], [65, 330], [-65, 330], [65, 430], [-65, 430],
  ];
  return base.map(([x, y]) => ({ x: cx + x + 3 * (random() - 0.5), y: 240 + y + 3 * (random() - 0.5), score: 0.2 + 0.8 * random() }));
});
let posePooled = 0;
const poseTimes = timeRuns(() => {
  const r = poseFeatures(poseFrames, { layout: 'coco17' });
  posePooled = poseUtteranceVector(r).length;
}, runs);
const poseMedian = median(poseTimes);
const poseFramesPerSec = poseFrameCount / poseMedian;
console.log(`pose: ${poseFrameCount} COCO-17 frames in ${(poseMedian * 1000).toFixed(1)} ms -> ${Math.round(poseFramesPerSec)} frames/s`);

const cpu = cpus();
const report = {
  audioRealtimeFactor,
  poseFramesPerSec,
  audioFloor: AUDIO_FLOOR,
  meetsAudioFloor: audioRealtimeFactor >= AUDIO_FLOOR,
  audio: {
    note: 'audioRealtimeFactor = seconds of audio per second of compute, the lower of the 16 kHz and 44.1 kHz inputs (44.1 kHz includes resampling to 16 kHz)',
    byInputRate: audio,
    options: 'defaults: 16 kHz, 25 ms / 10 ms Hann frames, FFT 512, 40 mel bands 0-8000 Hz, 13 MFCC, YIN 60-400 Hz',
    utteranceVectorWidth: example?.utteranceVector.length,
  },
  pose: { frames: poseFrameCount, missedFrames: poseFrames.filter((f) => f === null).length, medianSeconds: poseMedian, runs: poseTimes, utteranceVectorWidth: posePooled },
  machine: {
    cpus: cpu.length,
    model: cpu[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1m: loadavg()[0],
  },
  runs,
  generatedAt: new Date().toISOString(),
};
await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
console.log(`wrote ${values.out}`);

const markdown = [
  `Pure-TypeScript feature extractors of \`@emoje/encoders\` (no tfjs, single thread), median of ${runs} runs after a warm-up. ` +
    `Machine: ${report.machine.cpus} × ${report.machine.model}, Node ${report.machine.node}; 1-minute load average ${report.machine.loadAverage1m.toFixed(1)} when measured.`,
  '',
  '| extractor | input | median time | speed |',
  '|---|---|---|---|',
  ...Object.entries(audio).map(
    ([rate, a]) => `| \`extractAudioFeatures\` (log-mel, MFCC, YIN pitch, prosody) | ${a.seconds} s of speech-like audio at ${(Number(rate) / 1000).toFixed(1)} kHz${rate === '16000' ? '' : ' (resampled to 16 kHz)'} | ${(a.medianSeconds * 1000).toFixed(0)} ms | ${a.realtimeFactor.toFixed(1)}× real time |`,
  ),
  `| \`poseFeatures\` + \`poseUtteranceVector\` | ${poseFrameCount.toLocaleString('en-US')} COCO-17 frames (${report.pose.missedFrames} missed) | ${(poseMedian * 1000).toFixed(1)} ms | ${Math.round(poseFramesPerSec).toLocaleString('en-US')} frames/s |`,
  '',
  `\`audioRealtimeFactor\` (the lower of the two audio rows) = **${audioRealtimeFactor.toFixed(1)}** (floor ${AUDIO_FLOOR}: ${report.meetsAudioFloor ? 'met' : 'NOT met'}); ` +
    `\`poseFramesPerSec\` = **${Math.round(poseFramesPerSec).toLocaleString('en-US')}**. Re-run with \`npm run bench:features\`.`,
].join('\n');
console.log(markdown);
if (!values['no-markdown']) await updateBenchmarksSection('features', markdown);
