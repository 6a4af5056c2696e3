/**
 * Finds the TypeScript snippets of the project's README files, so that a test can type-check and run them.
 *
 * A fenced block tagged `ts` or `typescript` is a snippet. By default it is type-checked and run. An HTML comment on
 * the line just above the fence (blank lines allowed between) changes that, and must say why:
 *
 *   <!-- snippet: typecheck-only (trains for minutes on MOSI) -->
 *
 * Any other `<!-- snippet: ... -->` comment, or one without a reason, is an error, so a typo cannot silently skip a
 * snippet.
 */
import { readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

/** How a snippet is checked. */
export type SnippetMode = 'run' | 'typecheck-only';

/** One fenced TypeScript block of a markdown file. */
export interface Snippet {
  /** The markdown file, relative to the repository root (e.g. `packages/core/README.md`). */
  file: string;
  /** 1-based line of the opening fence in that file. */
  line: number;
  /** The code between the fences. */
  code: string;
  mode: SnippetMode;
  /** Why the snippet is only type-checked; absent for `run`. */
  reason?: string;
}

const FENCE = /^\s*```(ts|typescript)\s*$/;
const CLOSE = /^\s*```\s*$/;
const MARKER = /^\s*<!--\s*snippet:(.*?)-->\s*$/;
const TYPECHECK_ONLY = /^\s*typecheck-only\s*\((.+)\)\s*$/;

/**
 * The TypeScript snippets of one markdown text, in order.
 * @param markdown the file's content
 * @param file its path, used in the returned snippets and in error messages
 * @throws Error naming `file:line` for an unknown or reason-less `snippet:` marker, a marker that precedes no
 *   TypeScript block, or a block that is never closed
 */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let pending: { line: number; reason: string } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]);
    if (marker) {
      const mode = TYPECHECK_ONLY.exec(marker[1]);
      if (!mode) {
        throw new Error(
          `${file}:${i + 1}: unknown snippet marker "${marker[1].trim()}"; expected "typecheck-only (the reason)"`,
        );
      }
      pending = { line: i + 1, reason: mode[1].trim() };
      continue;
    }
    if (FENCE.test(lines[i])) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !CLOSE.test(lines[i]); i++) body.push(lines[i]);
      if (i >= lines.length) throw new Error(`${file}:${start + 1}: the \`\`\`ts block is never closed`);
      snippets.push({
        file,
        line: start + 1,
        code: body.join('\n'),
        ...(pending ? { mode: 'typecheck-only' as const, reason: pending.reason } : { mode: 'run' as const }),
      });
      pending = null;
      continue;
    }
    if (pending && lines[i].trim() !== '') {
      throw new Error(`${file}:${pending.line}: the snippet marker is not followed by a \`\`\`ts block`);
    }
  }
  if (pending) throw new Error(`${file}:${pending.line}: the snippet marker is not followed by a \`\`\`ts block`);
  return snippets;
}

/** The README files whose snippets are checked: the root one, and those of every package and example. */
export function readmeFiles(root: string): string[] {
  const files = [join(root, 'README.md')];
  for (const group of ['packages', 'examples']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const readme = join(dir, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  return files.map((f) => relative(root, f));
}

/** A folder name for a snippet, unique in the repository: `packages-core-README.md-L12`. */
export function snippetId(snippet: Pick<Snippet, 'file' | 'line'>): string {
  return `${snippet.file.replace(/[\\/]/g, '-')}-L${snippet.line}`;
}
