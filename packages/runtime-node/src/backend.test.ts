import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { EmojeInputError } from '@emoje/core';
import { expectClose } from '@emoje/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, defaultImporter, describeBackend, initBackend, isModuleNotFound, resetBackendCache, type ModuleImporter } from './index';
import { WASM_KERNEL_CONFIGS } from '@emoje/wasm-kernels';

function spyLogger() {
  return { debug: vi.fn<(m: string) => void>(), warn: vi.fn<(m: string) => void>() };
}

/** An error shaped like Node's when a native addon's shared library is missing. */
function dlopenError(): Error {
  const error = new Error(
    'libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions..node (node:internal/modules/cjs/loader:1460:18)',
  );
  (error as NodeJS.ErrnoException).code = 'ERR_DLOPEN_FAILED';
  return error;
}

afterEach(() => {
  resetBackendCache();
});

describe('initBackend', () => {
  it('picks wasm here, noting that neither native package is installed', async () => {
    const logger = spyLogger();
    const result = await initBackend({ logger });
    expect(result.backend).toBe('wasm');
    expect(result.source).toBe('@tensorflow/tfjs-backend-wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(result.simd).toBe(true);
    expect(result.threads).toBe(1);
    expect(result.fusedKernels).toBe(WASM_KERNEL_CONFIGS.length);
    expect(result.attempts).toEqual([
      { candidate: 'tensorflow', source: '@tensorflow/tfjs-node-gpu', ok: false, absent: true, reason: '@tensorflow/tfjs-node-gpu is not installed' },
      { candidate: 'tensorflow', source: '@tensorflow/tfjs-node', ok: false, absent: true, reason: '@tensorflow/tfjs-node is not installed' },
      { candidate: 'wasm', source: '@tensorflow/tfjs-backend-wasm', ok: true, reason: result.reason },
    ]);
    expect(result.reason).toBe('fallback in the default order: @tensorflow/tfjs-node-gpu not available, @tensorflow/tfjs-node not available');
    expect(logger.warn).not.toHaveBeenCalled();
    const debugLines = logger.debug.mock.calls.map((c) => c[0]);
    expect(debugLines.filter((l) => l.includes('not installed'))).toHaveLength(2);
    expect(describeBackend()).toBe(`wasm (@tensorflow/tfjs-backend-wasm, SIMD, 1 thread, ${WASM_KERNEL_CONFIGS.length} fused kernels): ${result.reason}; tfjs-core ${tf.version_core}`);
  });

  it('shares one promise between concurrent and repeated calls', async () => {
    const first = initBackend();
    const second = initBackend();
    expect(second).toBe(first);
    await first;
    expect(initBackend()).toBe(first);
    expect(initBackend({ reinit: true })).not.toBe(first);
  });

  it('forces cpu, then re-selects when called with other options', async () => {
    const forced = await initBackend({ backend: 'cpu' });
    expect(forced.backend).toBe('cpu');
    expect(forced.reason).toBe("forced by options.backend = 'cpu'");
    expect(forced.attempts).toHaveLength(1);
    expect(tf.getBackend()).toBe('cpu');
    const ordered = await initBackend({ order: ['wasm', 'cpu'] });
    expect(ordered.backend).toBe('wasm');
    expect(ordered.reason).toBe('first choice in options.order');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('falls back to wasm with exactly one warning when a native package is installed but broken', async () => {
    const logger = spyLogger();
    const importer: ModuleImporter = (specifier) =>
      specifier === '@tensorflow/tfjs-node-gpu' ? Promise.reject(dlopenError()) : defaultImporter(specifier);
    const result = await initBackend({ logger, importer });
    expect(result.backend).toBe('wasm');
    expect(result.attempts[0]).toEqual({
      candidate: 'tensorflow',
      source: '@tensorflow/tfjs-node-gpu',
      ok: false,
      reason: 'libcudart.so.11.0: cannot open shared object file: No such file or directory',
    });
    expect(result.attempts[1].absent).toBe(true);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    const line = logger.warn.mock.calls[0][0];
    expect(line).toBe(
      'emoje: @tensorflow/tfjs-node-gpu is installed but could not be used (libcudart.so.11.0: cannot open shared object file: No such file or directory); using wasm (@tensorflow/tfjs-backend-wasm) instead.',
    );
  });

  it('uses the native backend when its package loads', async () => {
    // Stands in for @tensorflow/tfjs-node: importing it registers the `tensorflow` backend.
    const importer: ModuleImporter = async (specifier) => {
      if (specifier === '@tensorflow/tfjs-node') {
        tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
        return {};
      }
      return defaultImporter(specifier);
    };
    try {
      const result = await initBackend({ importer, logger: spyLogger() });
      expect(result.backend).toBe('tensorflow');
      expect(result.source).toBe('@tensorflow/tfjs-node');
      expect(tf.getBackend()).toBe('tensorflow');
      expect(result.reason).toBe('fallback in the default order: @tensorflow/tfjs-node-gpu not available');
    } finally {
      await tf.setBackend('wasm');
      tf.removeBackend('tensorflow');
    }
  });

  it('rejects unknown backends and reports when nothing works', async () => {
    await expect(initBackend({ backend: 'webgl' as never })).rejects.toThrow(EmojeInputError);
    await expect(initBackend({ backend: 'webgl' as never })).rejects.toThrow("backend: expected one of 'tensorflow', 'wasm', 'cpu', received 'webgl'");
    const logger = spyLogger();
    const error = await initBackend({ backend: 'tensorflow', logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toContain('tensorflow (@tensorflow/tfjs-node-gpu): @tensorflow/tfjs-node-gpu is not installed');
    expect((error as Error).message).toContain('tensorflow (@tensorflow/tfjs-node): @tensorflow/tfjs-node is not installed');
    // A failed selection is not cached.
    expect((await initBackend({ backend: 'cpu' })).backend).toBe('cpu');
  });

  it('computes the same matMul + softmax on wasm as on cpu within 1e-5', async () => {
    const run = async (backend: 'wasm' | 'cpu') => {
      await initBackend({ backend });
      return tf.tidy(() => {
        const a = tf.randomNormal([16, 32], 0, 1, 'float32', 7);
        const b = tf.randomNormal([32, 8], 0, 1, 'float32', 8);
        return tf.softmax(tf.matMul(a, b)).arraySync() as number[][];
      });
    };
    const onWasm = await run('wasm');
    const onCpu = await run('cpu');
    expectClose(onWasm.flat(), onCpu.flat(), 1e-5);
  });
});

describe('isModuleNotFound', () => {
  it('matches only the package itself being missing', () => {
    const missing = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const nested = Object.assign(new Error("Cannot find module '/n/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'"), { code: 'MODULE_NOT_FOUND' });
    expect(isModuleNotFound(missing, '@tensorflow/tfjs-node')).toBe(true);
    expect(isModuleNotFound(missing, '@tensorflow/tfjs-node-gpu')).toBe(false);
    expect(isModuleNotFound(nested, '@tensorflow/tfjs-node')).toBe(false);
    expect(isModuleNotFound(dlopenError(), '@tensorflow/tfjs-node-gpu')).toBe(false);
    // Vite / vitest resolver wording, which has no error code.
    expect(isModuleNotFound(new Error('Could not resolve "@tensorflow/tfjs-node" imported by "@emoje/runtime-node".'), '@tensorflow/tfjs-node')).toBe(true);
    expect(isModuleNotFound('not an error', '@tensorflow/tfjs-node')).toBe(false);
  });
});
