import { describe, expect, it } from 'vitest';
import { KERNELS_WASM_BASE64 } from './generated/kernels-wasm';
import { KERNELS_WASM_SHARED_BASE64 } from './generated/kernels-wasm-shared';
import { instantiateIn, memoryOf, unsupportedReason, variantFor, type KernelExports } from './module';

// The threaded build of tfjs-backend-wasm 4.22 imports a shared memory of at most 65536 pages (4 GiB); the plain and
// SIMD builds export an ordinary one. These tests run both variants of the kernels directly in such memories.
const plainMemory = () => new WebAssembly.Memory({ initial: 8 });
const sharedMemory = () => new WebAssembly.Memory({ initial: 8, maximum: 65536, shared: true });

/** Deterministic values in [-1, 1) from a seed (a linear congruential sequence). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Places arrays one after another (16-byte aligned) from byte `start` of `memory`; returns their byte offsets. */
function place(memory: WebAssembly.Memory, start: number, arrays: Float32Array[]): number[] {
  const heap = new Float32Array(memory.buffer);
  let offset = start;
  return arrays.map((a) => {
    const at = offset;
    heap.set(a, at / 4);
    offset += Math.ceil((a.length * 4) / 16) * 16;
    return at;
  });
}

const read = (memory: WebAssembly.Memory, offset: number, n: number) => new Float32Array(memory.buffer).slice(offset / 4, offset / 4 + n);

/** Runs the linear kernel (forward and gradient, GELU) and layer norm (forward and gradient) on ragged shapes. */
function runKernels(k: KernelExports, memory: WebAssembly.Memory): Float32Array[] {
  const rows = 7;
  const inDim = 13;
  const outDim = 9;
  const [x, w, b, y, z, dy, dx, dw, db, scratch] = place(memory, 1024, [
    values(rows * inDim, 1),
    values(inDim * outDim, 2),
    values(outDim, 3),
    new Float32Array(rows * outDim),
    new Float32Array(rows * outDim),
    values(rows * outDim, 4),
    new Float32Array(rows * inDim),
    new Float32Array(inDim * outDim),
    new Float32Array(outDim),
    new Float32Array(rows * outDim),
  ]);
  k.emoje_linear_forward(x, w, b, y, z, rows, inDim, outDim, 1);
  k.emoje_linear_backward(dy, x, w, z, dx, dw, db, scratch, rows, inDim, outDim, 1);
  const d = 11;
  const [lx, gamma, beta, ly, xhat, rstd, ldy, ldx, dgamma, dbeta] = place(memory, 16384, [
    values(rows * d, 5),
    values(d, 6),
    values(d, 7),
    new Float32Array(rows * d),
    new Float32Array(rows * d),
    new Float32Array(rows),
    values(rows * d, 8),
    new Float32Array(rows * d),
    new Float32Array(d),
    new Float32Array(d),
  ]);
  k.emoje_layer_norm_forward(lx, gamma, beta, ly, xhat, rstd, rows, d, 1e-5, 0);
  k.emoje_layer_norm_backward(ldy, xhat, rstd, gamma, 0, ldx, dgamma, dbeta, 0, rows, d, 0);
  return [
    read(memory, y, rows * outDim),
    read(memory, dx, rows * inDim),
    read(memory, dw, inDim * outDim),
    read(memory, db, outDim),
    read(memory, ly, rows * d),
    read(memory, ldx, rows * d),
    read(memory, dgamma, d),
    read(memory, dbeta, d),
  ];
}

describe('kernel variants', () => {
  it('picks the shared variant for a shared memory and the plain one otherwise', () => {
    expect(variantFor(sharedMemory())).toBe('shared');
    expect(variantFor(plainMemory())).toBe('plain');
  });

  it('each committed module imports the kind of memory its variant is for', () => {
    const memoryImport = (base64: string) => {
      const module = new WebAssembly.Module(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
      return WebAssembly.Module.imports(module);
    };
    expect(memoryImport(KERNELS_WASM_BASE64)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    expect(memoryImport(KERNELS_WASM_SHARED_BASE64)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  it('instantiates the shared variant in a shared memory like the threaded backend\'s, and the plain one in an ordinary memory', async () => {
    await expect(instantiateIn(sharedMemory())).resolves.toHaveProperty('emoje_linear_forward');
    await expect(instantiateIn(plainMemory())).resolves.toHaveProperty('emoje_linear_forward');
  });

  it('the two builds are not interchangeable: the plain module rejects a shared memory and the shared one an ordinary memory', async () => {
    const compile = (base64: string) => WebAssembly.compile(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    await expect(WebAssembly.instantiate(await compile(KERNELS_WASM_BASE64), { env: { memory: sharedMemory() } })).rejects.toThrow(WebAssembly.LinkError);
    await expect(WebAssembly.instantiate(await compile(KERNELS_WASM_SHARED_BASE64), { env: { memory: plainMemory() } })).rejects.toThrow(WebAssembly.LinkError);
  });

  it('the shared variant computes exactly what the plain one does (linear + GELU and layer norm, values and gradients, ragged sizes)', async () => {
    const shared = sharedMemory();
    const plain = plainMemory();
    const fromShared = runKernels(await instantiateIn(shared), shared);
    const fromPlain = runKernels(await instantiateIn(plain), plain);
    expect(fromShared.map((a) => a.length)).toEqual([63, 91, 117, 9, 77, 77, 11, 11]);
    for (const a of fromPlain) expect(a.some((v) => v !== 0)).toBe(true);
    for (const a of fromPlain) expect(a.every(Number.isFinite)).toBe(true);
    fromShared.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(fromPlain[i])));
  });
});

describe('backend memory', () => {
  const backendLike = (wasm: object) => ({ wasm, dataIdMap: { get: () => undefined }, makeOutput: () => ({}) });

  it('finds the exported memory of the plain and SIMD builds and the shared memory the threaded build imports', () => {
    const exported = plainMemory();
    const imported = sharedMemory();
    expect(memoryOf(backendLike({ asm: { memory: exported } }))).toBe(exported);
    expect(memoryOf(backendLike({ asm: {}, wasmMemory: imported }))).toBe(imported);
    expect(memoryOf(backendLike({ asm: {} }))).toBeNull();
  });

  it('supports a threaded backend (shared memory) and declines what is not tfjs-backend-wasm 4.x', () => {
    expect(unsupportedReason(backendLike({ asm: {}, wasmMemory: sharedMemory() }))).toBeNull();
    expect(unsupportedReason(backendLike({ asm: { memory: plainMemory() } }))).toBeNull();
    expect(unsupportedReason(backendLike({ asm: {} }))).toMatch(/not tfjs-backend-wasm 4\.x/);
    expect(unsupportedReason({ wasm: { asm: { memory: plainMemory() } } })).toMatch(/not tfjs-backend-wasm 4\.x/);
    expect(unsupportedReason(null)).toMatch(/not tfjs-backend-wasm 4\.x/);
  });
});
