import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared';

export default mergeConfig(packageTestConfig('docs'), { test: { include: ['test/**/*.test.ts'] } });
