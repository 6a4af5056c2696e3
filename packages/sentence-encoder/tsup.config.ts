import { defineConfig } from 'tsup';
import { packageBuild } from '../../scripts/tsup.shared';

export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/node.ts', 'src/browser.ts'], shims: true }));
