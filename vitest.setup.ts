/**
 * Loaded before every package's tests (see `setupFiles` in vitest.shared.ts).
 *
 * tfjs's cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js ... install our node backend"
 * banner the first time it holds data in Node, once per test file. The tests choose their backend on purpose, so the
 * banner is noise: it is dropped here, and only it. tfjs's own switches for this (`IS_TEST`, `PROD`) would also mute
 * every other tfjs warning and turn on per-kernel leak checks, so they are left alone.
 */
const TFJS_NODE_BANNER = 'Hi, looks like you are running TensorFlow.js in Node.js';

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].includes(TFJS_NODE_BANNER)) return;
  warn(...args);
};
