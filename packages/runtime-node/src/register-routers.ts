/**
 * Side effect of importing `@emoje/runtime-node`: routes `file://` URLs to the atomic
 * file-system handler unless tfjs-node's own handler is there.
 */
import { registerFileSystemRouters } from './fs-io';

registerFileSystemRouters();
