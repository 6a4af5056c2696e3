import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@emoje/example-web-demo');
