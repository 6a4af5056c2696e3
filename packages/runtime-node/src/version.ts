import { version } from '../package.json';

/** The version of `@emoje/runtime-node` (and of the `emoje` CLI). */
export const VERSION: string = version;
