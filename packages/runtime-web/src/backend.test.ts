import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { EmojeInputError } from '@emoje/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, DEFAULT_LOADERS, describeBackend, initBackend, isFallbackAdapter, resetBackendCache, softwareRenderer, webBackendCandidates, webglRendererName, type BackendModuleLoader, type WebGpuAdapterLike } from './index';
import { WASM_KERNEL_CONFIGS } from '@emoje/wasm-kernels';

function spyLogger() {
  return { debug: vi.fn<(m: string) => void>(), warn: vi.fn<(m: string) => void>() };
}

/** A loader standing in for a backend package: importing it registers `name` (a CPU backend underneath). */
function fakeBackend(name: string, log: string[]): BackendModuleLoader {
  return async () => {
    log.push(name);
    if (!tf.findBackendFactory(name)) tf.registerBackend(name, () => new MathBackendCPU());
    return {};
  };
}

function failing(message: string, log: string[], name: string): BackendModuleLoader {
  return async () => {
    log.push(name);
    throw new Error(message);
  };
}

/** A `navigator.gpu` whose `requestAdapter` resolves to `adapter` and records the options it was asked with. */
function fakeGpu(adapter: WebGpuAdapterLike | null, asked: unknown[] = []) {
  return {
    requestAdapter: async (options?: unknown) => {
      asked.push(options);
      return adapter;
    },
  };
}

/** A hardware adapter as Chromium describes one. */
const HARDWARE = { info: { vendor: 'nvidia', architecture: 'ampere', description: '', isFallbackAdapter: false } };
/** SwiftShader, as headless Chromium 150 describes it (`isFallbackAdapter` only in `info`). */
const SWIFTSHADER = { info: { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true } };

afterEach(async () => {
  resetBackendCache();
  for (const name of ['webgpu', 'webgl']) {
    if (tf.findBackendFactory(name)) {
      if (tf.getBackend() === name) await tf.setBackend('cpu');
      tf.removeBackend(name);
    }
  }
});

describe('initBackend (browser order, injected loaders)', () => {
  it('prefers webgpu when navigator.gpu gives a hardware adapter (asked for high-performance, as tfjs does)', async () => {
    const log: string[] = [];
    const asked: unknown[] = [];
    const result = await initBackend({
      navigator: { gpu: fakeGpu(HARDWARE, asked) },
      loaders: { webgpu: fakeBackend('webgpu', log), webgl: fakeBackend('webgl', log) },
      logger: spyLogger(),
    });
    expect(log).toEqual(['webgpu']);
    expect(result).toMatchObject({ backend: 'webgpu', source: '@tensorflow/tfjs-backend-webgpu', reason: 'first choice in the default order' });
    expect(tf.getBackend()).toBe('webgpu');
    expect(asked).toEqual([{ powerPreference: 'high-performance' }]);
  });

  for (const [where, adapter] of [
    ['adapter.info.isFallbackAdapter (Chromium 150, SwiftShader)', SWIFTSHADER],
    ['adapter.isFallbackAdapter (older browsers)', { isFallbackAdapter: true }],
  ] as const) {
    it(`skips a software fallback WebGPU adapter, flagged by ${where}, and says so; no warning`, async () => {
      const log: string[] = [];
      const logger = spyLogger();
      const result = await initBackend({ navigator: { gpu: fakeGpu(adapter) }, loaders: { webgpu: fakeBackend('webgpu', log), webgl: fakeBackend('webgl', log) }, logger });
      expect(log).toEqual(['webgl']); // the webgpu package is never even imported
      expect(result.backend).toBe('webgl');
      expect(result.attempts[0]).toMatchObject({ candidate: 'webgpu', ok: false, skipped: true });
      expect(result.attempts[0].reason).toMatch(/^the only WebGPU adapter is a software fallback.*slower than WebAssembly/);
      expect(result.reason).toMatch(/^fallback in the default order: @tensorflow\/tfjs-backend-webgpu skipped \(the only WebGPU adapter is a software fallback/);
      expect(logger.warn).not.toHaveBeenCalled();
    });
  }

  it('names the fallback adapter in the reason', async () => {
    const result = await initBackend({ navigator: { gpu: fakeGpu(SWIFTSHADER) }, loaders: { webgl: fakeBackend('webgl', []) }, logger: spyLogger() });
    expect(result.attempts[0].reason).toContain('software fallback (google swiftshader)');
  });

  it('uses a fallback adapter when WebGPU is forced or allowFallbackAdapter is set', async () => {
    const log: string[] = [];
    const forced = await initBackend({ backend: 'webgpu', navigator: { gpu: fakeGpu(SWIFTSHADER) }, loaders: { webgpu: fakeBackend('webgpu', log) } });
    expect(forced.backend).toBe('webgpu');
    const allowed = await initBackend({ allowFallbackAdapter: true, navigator: { gpu: fakeGpu(SWIFTSHADER) }, loaders: { webgpu: fakeBackend('webgpu', log), webgl: fakeBackend('webgl', log) }, logger: spyLogger() });
    expect(allowed).toMatchObject({ backend: 'webgpu', reason: 'first choice in the default order' });
    expect(log).toEqual(['webgpu', 'webgpu']);
  });

  it('treats a browser that gives no adapter, or has no requestAdapter, as WebGPU absent (debug only)', async () => {
    for (const gpu of [fakeGpu(null), {}]) {
      resetBackendCache();
      const logger = spyLogger();
      const result = await initBackend({ navigator: { gpu }, loaders: { webgl: fakeBackend('webgl', []) }, logger });
      expect(result.backend).toBe('webgl');
      expect(result.attempts[0]).toMatchObject({ candidate: 'webgpu', absent: true });
      expect(logger.warn).not.toHaveBeenCalled();
    }
  });

  const SWIFTSHADER_GL = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';

  it('skips WebGL that renders in software (SwiftShader) for wasm, and says so; no warning', async () => {
    const log: string[] = [];
    const logger = spyLogger();
    const result = await initBackend({
      navigator: { gpu: fakeGpu(SWIFTSHADER) },
      webglRenderer: () => SWIFTSHADER_GL,
      loaders: { webgpu: fakeBackend('webgpu', log), webgl: fakeBackend('webgl', log) },
      logger,
    });
    expect(log).toEqual([]);
    expect(result.backend).toBe('wasm');
    expect(result.attempts.map((a) => [a.candidate, a.skipped ?? false])).toEqual([
      ['webgpu', true],
      ['webgl', true],
      ['wasm', false],
    ]);
    expect(result.attempts[1].reason).toBe("WebGL renders in software (SwiftShader), slower than WebAssembly; pass allowSoftwareWebGL: true or backend: 'webgl' to use it");
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('keeps WebGL on a hardware renderer, or in software when forced or allowed', async () => {
    const log: string[] = [];
    const hardware = await initBackend({ navigator: null, webglRenderer: () => 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0)', loaders: { webgl: fakeBackend('webgl', log) }, logger: spyLogger() });
    expect(hardware.backend).toBe('webgl');
    const forced = await initBackend({ backend: 'webgl', webglRenderer: () => SWIFTSHADER_GL, loaders: { webgl: fakeBackend('webgl', log) } });
    expect(forced.backend).toBe('webgl');
    const allowed = await initBackend({ navigator: null, allowSoftwareWebGL: true, webglRenderer: () => SWIFTSHADER_GL, loaders: { webgl: fakeBackend('webgl', log) }, logger: spyLogger() });
    expect(allowed.backend).toBe('webgl');
    expect(log).toEqual(['webgl', 'webgl', 'webgl']);
  });

  it('softwareRenderer names software renderers only; webglRendererName is null outside a browser', () => {
    expect(softwareRenderer(SWIFTSHADER_GL)).toBe('SwiftShader');
    expect(softwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe('llvmpipe');
    expect(softwareRenderer('Mesa Intel(R) UHD Graphics 620 (KBL GT2)')).toBeNull();
    expect(softwareRenderer(null)).toBeNull();
    expect(webglRendererName()).toBeNull();
  });

  it('isFallbackAdapter reads both places', () => {
    expect(isFallbackAdapter(SWIFTSHADER)).toBe(true);
    expect(isFallbackAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isFallbackAdapter(HARDWARE)).toBe(false);
    expect(isFallbackAdapter({})).toBe(false);
  });

  it('skips webgpu without navigator.gpu (debug only) and takes webgl', async () => {
    const log: string[] = [];
    const logger = spyLogger();
    const result = await initBackend({ navigator: {}, loaders: { webgpu: fakeBackend('webgpu', log), webgl: fakeBackend('webgl', log) }, logger });
    expect(log).toEqual(['webgl']);
    expect(result.backend).toBe('webgl');
    expect(result.attempts[0]).toEqual({
      candidate: 'webgpu',
      source: '@tensorflow/tfjs-backend-webgpu',
      ok: false,
      absent: true,
      reason: 'WebGPU is not available (navigator.gpu is undefined)',
    });
    expect(result.reason).toBe('fallback in the default order: @tensorflow/tfjs-backend-webgpu not available');
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.debug).toHaveBeenCalledWith(expect.stringContaining('navigator.gpu is undefined'));
  });

  it('falls back from a failing webgpu and webgl to wasm, one warning each', async () => {
    const log: string[] = [];
    const logger = spyLogger();
    const result = await initBackend({
      navigator: { gpu: fakeGpu(HARDWARE) },
      loaders: { webgpu: failing('requestAdapter() returned null', log, 'webgpu'), webgl: failing('WebGL is not supported on this device', log, 'webgl') },
      logger,
    });
    expect(log).toEqual(['webgpu', 'webgl']);
    expect(result.backend).toBe('wasm');
    expect(result.simd).toBe(true);
    expect(result.attempts.map((a) => [a.candidate, a.ok, a.reason])).toEqual([
      ['webgpu', false, 'requestAdapter() returned null'],
      ['webgl', false, 'WebGL is not supported on this device'],
      ['wasm', true, 'fallback in the default order: @tensorflow/tfjs-backend-webgpu failed, @tensorflow/tfjs-backend-webgl failed'],
    ]);
    expect(logger.warn.mock.calls.map((c) => c[0])).toEqual([
      'emoje: @tensorflow/tfjs-backend-webgpu is installed but could not be used (requestAdapter() returned null); using wasm (@tensorflow/tfjs-backend-wasm) instead.',
      'emoje: @tensorflow/tfjs-backend-webgl is installed but could not be used (WebGL is not supported on this device); using wasm (@tensorflow/tfjs-backend-wasm) instead.',
    ]);
    expect(result.fusedKernels).toBe(WASM_KERNEL_CONFIGS.length);
    expect(describeBackend()).toMatch(new RegExp(`^wasm \\(@tensorflow/tfjs-backend-wasm, SIMD, 1 thread, ${WASM_KERNEL_CONFIGS.length} fused kernels\\): fallback`));
  });

  it("with the real packages in Node: tf cannot start webgl, wasm is chosen", async () => {
    const logger = spyLogger();
    const tfWarn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const result = await initBackend({ logger });
      expect(result.backend).toBe('wasm');
      expect(result.attempts.map((a) => [a.candidate, a.ok])).toEqual([
        ['webgpu', false],
        ['webgl', false],
        ['wasm', true],
      ]);
      expect(result.attempts[0].absent).toBe(true);
      // tfjs-backend-webgl registers itself only in browsers, so tf.setBackend('webgl') fails here.
      expect(result.attempts[1].reason).toBe("Backend name 'webgl' not found in registry");
      expect(logger.warn).toHaveBeenCalledTimes(1);
    } finally {
      tfWarn.mockRestore();
    }
  });

  it('honours order and a forced backend, and passes wasmPaths to setWasmPaths', async () => {
    const log: string[] = [];
    const ordered = await initBackend({ order: ['cpu', 'wasm'], loaders: { webgl: fakeBackend('webgl', log) } });
    expect(ordered.backend).toBe('cpu');
    expect(ordered.reason).toBe('first choice in options.order');
    expect(log).toEqual([]);

    const forced = await initBackend({ backend: 'webgl', loaders: { webgl: fakeBackend('webgl', log) } });
    expect(forced).toMatchObject({ backend: 'webgl', reason: "forced by options.backend = 'webgl'" });
    expect(forced.attempts).toHaveLength(1);

    const setWasmPaths = vi.fn();
    const candidates = webBackendCandidates({ wasmPaths: '/assets/wasm/', loaders: { wasm: async () => ({ setWasmPaths }) } });
    await candidates[2].load();
    expect(setWasmPaths).toHaveBeenCalledWith('/assets/wasm/');
  });

  it('fails clearly when nothing works, listing every attempt', async () => {
    const log: string[] = [];
    const logger = spyLogger();
    const error = await initBackend({
      navigator: null,
      loaders: {
        webgl: failing('no webgl', log, 'webgl'),
        wasm: failing('failed to fetch tfjs-backend-wasm-simd.wasm', log, 'wasm'),
        cpu: failing('cpu missing', log, 'cpu'),
      },
      logger,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('no tfjs backend could be initialised; tried:');
    expect(message).toContain('webgpu (@tensorflow/tfjs-backend-webgpu): WebGPU is not available');
    expect(message).toContain('webgl (@tensorflow/tfjs-backend-webgl): no webgl');
    expect(message).toContain('wasm (@tensorflow/tfjs-backend-wasm): failed to fetch tfjs-backend-wasm-simd.wasm');
    expect(message).toContain('cpu (@tensorflow/tfjs-backend-cpu): cpu missing');
    expect((error as BackendUnavailableError).attempts).toHaveLength(4);
    expect(logger.warn).toHaveBeenCalledTimes(3);
    await expect(initBackend({ backend: 'tensorflow' as never })).rejects.toThrow(EmojeInputError);
  });

  it('shares the init promise between concurrent calls', async () => {
    const a = initBackend({ order: ['cpu'] });
    expect(initBackend({ order: ['cpu'] })).toBe(a);
    await a;
  });

  it('loads each backend package by a literal dynamic import', () => {
    expect(Object.keys(DEFAULT_LOADERS)).toEqual(['webgpu', 'webgl', 'wasm', 'cpu']);
  });
});
