import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it, vi } from 'vitest';
import {
  BackendAbsentError,
  BackendSkippedError,
  BackendUnavailableError,
  EmojeInputError,
  createBackendInitializer,
  errorCause,
  formatBackendSelection,
  orderCandidates,
  selectBackend,
  type BackendCandidate,
} from './index';

/** A fake candidate whose load succeeds, is absent, or throws. */
function fake(name: string, source: string, behaviour: 'ok' | 'absent' | 'skipped' | Error, log: string[] = []): BackendCandidate {
  return {
    name,
    source,
    async load() {
      log.push(source);
      if (behaviour === 'absent') throw new BackendAbsentError(`${source} is not installed`);
      if (behaviour === 'skipped') throw new BackendSkippedError(`${source} has only a software fallback adapter`);
      if (behaviour instanceof Error) throw behaviour;
    },
  };
}

const activateAll = async () => true;

function quietLogger() {
  return { debug: vi.fn<(m: string) => void>(), warn: vi.fn<(m: string) => void>() };
}

describe('selectBackend', () => {
  it('tries candidates in order and picks the first that works', async () => {
    const log: string[] = [];
    const logger = quietLogger();
    const result = await selectBackend(
      [fake('a', 'pkg-a', 'absent', log), fake('b', 'pkg-b', 'ok', log), fake('c', 'pkg-c', 'ok', log)],
      { activate: activateAll, logger },
    );
    expect(log).toEqual(['pkg-a', 'pkg-b']);
    expect(result.backend).toBe('b');
    expect(result.source).toBe('pkg-b');
    expect(result.attempts).toEqual([
      { candidate: 'a', source: 'pkg-a', ok: false, reason: 'pkg-a is not installed', absent: true },
      { candidate: 'b', source: 'pkg-b', ok: true, reason: result.reason },
    ]);
    expect(result.reason).toContain('fallback in the default order');
    expect(result.reason).toContain('pkg-a not available');
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.debug).toHaveBeenCalledWith(expect.stringContaining('pkg-a'));
  });

  it('passes over a skipped candidate on purpose: recorded as skipped with its reason, debug only, named in the choice', async () => {
    const log: string[] = [];
    const logger = quietLogger();
    const result = await selectBackend([fake('g', 'pkg-g', 'skipped', log), fake('b', 'pkg-b', 'ok', log)], { activate: activateAll, logger });
    expect(log).toEqual(['pkg-g', 'pkg-b']);
    expect(result.backend).toBe('b');
    expect(result.attempts[0]).toEqual({ candidate: 'g', source: 'pkg-g', ok: false, reason: 'pkg-g has only a software fallback adapter', skipped: true });
    expect(result.reason).toBe('fallback in the default order: pkg-g skipped (pkg-g has only a software fallback adapter)');
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.debug).toHaveBeenCalledWith('emoje: g (pkg-g) not used: pkg-g has only a software fallback adapter');
  });

  it('warns once per broken candidate, naming the package, the cause and the replacement', async () => {
    const logger = quietLogger();
    const broken = new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions');
    const result = await selectBackend([fake('a', 'pkg-a', broken), fake('b', 'pkg-b', 'ok')], { activate: activateAll, logger });
    expect(result.backend).toBe('b');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    const line = logger.warn.mock.calls[0][0];
    expect(line).not.toContain('\n');
    expect(line).toContain('pkg-a');
    expect(line).toContain('libcudart.so.11.0: cannot open shared object file');
    expect(line).toContain('using b (pkg-b)');
    expect(result.attempts[0]).toEqual({ candidate: 'a', source: 'pkg-a', ok: false, reason: 'libcudart.so.11.0: cannot open shared object file: No such file or directory' });
  });

  it('treats a failed activation as a failure and moves on', async () => {
    const logger = quietLogger();
    const result = await selectBackend([fake('a', 'pkg-a', 'ok'), fake('b', 'pkg-b', 'ok')], {
      activate: async (name) => name === 'b',
      logger,
    });
    expect(result.backend).toBe('b');
    expect(result.attempts[0]).toMatchObject({ candidate: 'a', ok: false, reason: 'the a backend failed to initialise' });
  });

  it('honours options.order, keeping same-name candidates in their order', async () => {
    const log: string[] = [];
    const result = await selectBackend(
      [fake('t', 'gpu', 'absent', log), fake('t', 'native', 'absent', log), fake('w', 'wasm', 'ok', log), fake('c', 'cpu', 'ok', log)],
      { activate: activateAll, order: ['c', 't'], logger: quietLogger() },
    );
    expect(log).toEqual(['cpu']);
    expect(result.backend).toBe('c');
    expect(result.reason).toBe('first choice in options.order');
    expect(orderCandidates([fake('t', 'gpu', 'ok'), fake('w', 'wasm', 'ok'), fake('t', 'native', 'ok')], { order: ['w', 't'] }).map((c) => c.source)).toEqual([
      'wasm',
      'gpu',
      'native',
    ]);
  });

  it('forces one backend with options.backend and fails without falling back', async () => {
    const forced = await selectBackend([fake('a', 'pkg-a', 'ok'), fake('b', 'pkg-b', 'ok')], { activate: activateAll, backend: 'b' });
    expect(forced.backend).toBe('b');
    expect(forced.reason).toBe("forced by options.backend = 'b'");
    expect(forced.attempts).toHaveLength(1);
    await expect(
      selectBackend([fake('a', 'pkg-a', 'ok'), fake('b', 'pkg-b', new Error('boom'))], { activate: activateAll, backend: 'b', logger: quietLogger() }),
    ).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('rejects unknown names with the valid ones listed', async () => {
    const candidates = [fake('a', 'pkg-a', 'ok'), fake('b', 'pkg-b', 'ok')];
    await expect(selectBackend(candidates, { backend: 'nope' })).rejects.toThrow(EmojeInputError);
    await expect(selectBackend(candidates, { backend: 'nope' })).rejects.toThrow("backend: expected one of 'a', 'b', received 'nope'");
    expect(() => orderCandidates(candidates, { order: ['a', 'x'] })).toThrow("order[1]: expected one of 'a', 'b'");
    expect(() => orderCandidates(candidates, { order: [] })).toThrow(EmojeInputError);
  });

  it('throws a clear error listing every attempt when nothing works', async () => {
    const logger = quietLogger();
    const error = await selectBackend([fake('a', 'pkg-a', 'absent'), fake('b', 'pkg-b', new Error('kaput'))], { activate: activateAll, logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const e = error as BackendUnavailableError;
    expect(e.attempts.map((a) => a.candidate)).toEqual(['a', 'b']);
    expect(e.message).toContain('a (pkg-a): pkg-a is not installed');
    expect(e.message).toContain('b (pkg-b): kaput');
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('activates through tf.setBackend by default and reports details', async () => {
    const result = await selectBackend([
      { name: 'missing-backend', source: 'nowhere', load: async () => undefined },
      { name: 'cpu', source: '@tensorflow/tfjs-backend-cpu', load: async () => undefined, details: () => ({ threads: 1 }) },
    ], { logger: quietLogger() });
    expect(tf.getBackend()).toBe('cpu');
    expect(result.backend).toBe('cpu');
    expect(result.threads).toBe(1);
    expect(result.attempts[0].ok).toBe(false);
    expect(formatBackendSelection(result)).toMatch(/^cpu \(@tensorflow\/tfjs-backend-cpu, 1 thread\): fallback/);
  });

  it('errorCause keeps the first non-empty line', () => {
    expect(errorCause(new Error('\n  first line\nsecond'))).toBe('first line');
    expect(errorCause('plain')).toBe('plain');
  });
});

describe('createBackendInitializer', () => {
  it('shares the promise for equal keys, re-selects for new keys or reinit, and does not cache failures', async () => {
    let runs = 0;
    let fail = false;
    const init = createBackendInitializer<{ name?: string; reinit?: boolean }>(
      async ({ name = 'cpu' }) => {
        runs++;
        if (fail) throw new Error('nope');
        return { backend: name, source: 'pkg', reason: 'test', attempts: [] };
      },
      (o) => [o.name],
    );
    expect(init.describe()).toContain('(initBackend has not run)');
    const a = init.init();
    expect(init.init()).toBe(a);
    expect((await a).backend).toBe('cpu');
    expect(init.init({})).toBe(a);
    expect(runs).toBe(1);
    const b = init.init({ name: 'x' });
    expect(b).not.toBe(a);
    expect((await b).backend).toBe('x');
    expect(init.last()?.backend).toBe('x');
    expect(init.describe()).toMatch(/^x \(pkg\): test; tfjs-core \d/);
    await init.init({ name: 'x', reinit: true });
    expect(runs).toBe(3);
    fail = true;
    await expect(init.init({ name: 'y' })).rejects.toThrow('nope');
    fail = false;
    expect((await init.init({ name: 'y' })).backend).toBe('y');
    init.reset();
    expect(init.last()).toBeUndefined();
  });
});
