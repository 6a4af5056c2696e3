import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup.shared';

/**
 * Three builds: the library (ESM + CJS + .d.ts, as every package), the `emoje` bin
 * (`dist/cli.js`, ESM only, no types; tsup keeps its shebang and marks it executable) and the
 * worker-thread entry of `createInferencePool` (`dist/inference-worker.js`, ESM only, no types).
 * The library build's clean step spares the other builds' files, whichever build finishes first.
 */
export default defineConfig([
  packageBuild({ clean: ['!cli.js', '!cli.js.map', '!inference-worker.js', '!inference-worker.js.map'] }),
  packageBuild({ entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false }),
  packageBuild({ entry: { 'inference-worker': 'src/inference-worker.ts' }, format: ['esm'], dts: false, clean: false }),
]);
