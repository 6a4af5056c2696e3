/** Prefix of every emoje layer's `className`, so it never collides in the tfjs class registry. */
export const BLOCK_CLASS_PREFIX = 'Emoje';
