import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup.shared';

/**
 * Two builds: the library (ESM + CJS + .d.ts, as every package) and the `emoje` bin
 * (`dist/cli.js`, ESM only, no types; tsup keeps its shebang and marks it executable).
 * The library build's clean step spares the bin's files, whichever build finishes first.
 */
export default defineConfig([
  packageBuild({ clean: ['!cli.js', '!cli.js.map'] }),
  packageBuild({ entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false }),
]);
