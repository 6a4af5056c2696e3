import { packageTestConfig } from '../../vitest.shared';

export default packageTestConfig('@emoje/example-speech-dialogue');
