import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@emoje/face-api-adapter');
