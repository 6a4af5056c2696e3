import { describe, expect, it } from 'vitest';
import { createEnsembleProgress, formatDuration } from './progress';

function plainStream() {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (text: string) => (lines.push(text), true) } as unknown as NodeJS.WriteStream;
  return { lines, stream };
}
const epoch = (n: number) => ({ epoch: n, loss: 0.5, dev: null, bestDevWeightedF1: -1, seconds: 1 });

describe('createEnsembleProgress', () => {
  it('labels each member of an ensemble, and only the label for one model', () => {
    const several = plainStream();
    const progress = createEnsembleProgress('mosi seed 1', 2, 3, { stream: several.stream });
    for (const member of [0, 1]) {
      progress.callbacks.onMemberStart(member, 1 + 1000 * member);
      progress.callbacks.onEpochEnd(epoch(1));
      progress.callbacks.onMemberEnd();
    }
    progress.callbacks.onEpochEnd(epoch(2)); // between members: nothing to report to
    progress.stop();
    expect(several.lines.map((l) => l.split(':')[0])).toEqual(['mosi seed 1 member 1/3', 'mosi seed 1 member 2/3']);

    const one = plainStream();
    const single = createEnsembleProgress('train mosi', 2, 1, { stream: one.stream });
    single.callbacks.onMemberStart(0, 1);
    single.callbacks.onEpochEnd(epoch(1));
    single.stop();
    expect(one.lines).toHaveLength(1);
    expect(one.lines[0]).toMatch(/^train mosi: epoch 1\/2 loss 0\.5000/);
  });
});

describe('plain progress lines', () => {
  it('end with the ETA of the remaining epochs at the mean epoch time so far', () => {
    const out = plainStream();
    const progress = createEnsembleProgress('train mosi', 10, 1, { stream: out.stream });
    progress.callbacks.onMemberStart(0, 1);
    progress.callbacks.onEpochEnd({ ...epoch(1), seconds: 4 });
    progress.callbacks.onEpochEnd({ ...epoch(2), seconds: 8 });
    progress.stop();
    expect(out.lines[0]).toMatch(/\(4\.0 s, ETA 0:36\)\n$/); // 9 epochs left at 4 s
    expect(out.lines[1]).toMatch(/\(8\.0 s, ETA 0:48\)\n$/); // 8 epochs left at 6 s
  });

  it('formats durations like the bar does', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75.4)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});
