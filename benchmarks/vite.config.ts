import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../vitest.shared';

export default mergeConfig(packageTestConfig('@emoje/benchmarks'), { test: { include: ['*.test.ts'] } });
