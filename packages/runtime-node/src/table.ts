import type { ProtocolResults } from '@emoje/model';

/** Renders rows as an aligned plain-text table with a header rule. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

const pct = (x: number) => (100 * x).toFixed(1);

/** The results table of both missing-modality protocols: accuracy, weighted and macro F1 in %. */
export function renderProtocolTable(results: ProtocolResults): string {
  const rows = [
    ...Object.entries(results.scenarios).map(([name, m]) => [`scenario ${name}`, pct(m.accuracy), pct(m.weightedF1), pct(m.macroF1), String(m.support)]),
    ...Object.entries(results.missingRate).map(([rate, m]) => [`missing rate ${rate}`, pct(m.accuracy), pct(m.weightedF1), pct(m.macroF1), String(m.support)]),
  ];
  return renderTable(['evaluation', 'accuracy %', 'weighted F1 %', 'macro F1 %', 'utterances'], rows);
}
