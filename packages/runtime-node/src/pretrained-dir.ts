import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EmojeInputError } from '@emoje/core';

/**
 * The folder of a model bundled in `@emoje/pretrained` (its `assets/<name>/`), found at run time. The package is an
 * optional peer of this one and is looked up by name rather than imported: `@emoje/pretrained`'s training scripts use
 * this package, so a static import would make the two depend on each other.
 * @throws EmojeInputError naming `--pretrained` when the package is not installed or has no model of that name.
 */
export function pretrainedModelDir(name: string): string {
  const pkg = ['@emoje', 'pretrained'].join('/');
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new EmojeInputError('--pretrained', `a model of ${pkg}, which is not installed`, JSON.stringify(name), `npm install ${pkg}`);
  }
  const dir = join(root, 'assets', name);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(join(dir, 'model.json'))) {
    throw new EmojeInputError('--pretrained', `the name of a model in ${pkg} (e.g. 'mosi', 'emodb')`, JSON.stringify(name));
  }
  return dir;
}
