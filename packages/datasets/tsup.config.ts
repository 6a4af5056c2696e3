import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup.shared';

// Two entries: the browser-safe main entry and the Node file loader. `shims: true` gives the CJS build of
// `node.ts` a working `import.meta.url`, which locates the bundled data folder.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node.ts'], shims: true }));
