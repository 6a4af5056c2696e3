import { describe, expect, it } from 'vitest';
import { quickstart } from './quickstart';

describe('the MOSI quickstart example', () => {
  it('trains, evaluates with missing modalities, predicts text-only utterances, and reloads', async () => {
    const lines: string[] = [];
    const result = await quickstart({ epochs: 2, log: (line) => lines.push(line) });
    expect(result.backend).toBe('wasm');
    // Two epochs on real data already beat the 62.1% majority baseline with text.
    expect(result.accuracy.TAV).toBeGreaterThan(0.65);
    expect(result.accuracy.T).toBeGreaterThan(0.65);
    expect(result.textOnlyPredictions.length).toBeGreaterThan(0);
    for (const p of result.textOnlyPredictions) {
      expect(p.missing).toEqual(['audio', 'visual']);
      expect(p.imputed).toEqual(['audio', 'visual']);
      expect(p.probabilities.negative + p.probabilities.positive).toBeCloseTo(1, 5);
    }
    expect(result.reloadedMatches).toBe(true);
    expect(lines.some((l) => l.startsWith('test accuracy'))).toBe(true);
  });
});
