import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@emoje/wasm-kernels');
