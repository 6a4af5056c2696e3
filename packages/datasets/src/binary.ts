import { EmojeInputError } from '@emoje/core';

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decodes little-endian float32 bytes (e.g. a `.f32` file read with `fs.readFileSync` or `fetch`) into a
 * `Float32Array`. Works whatever the alignment of `bytes` and the byte order of the host: on a little-endian
 * host with aligned bytes it is a single copy.
 *
 * @param bytes - The raw bytes; an `ArrayBuffer` or any byte view (a Node `Buffer` is one).
 * @param field - The name used in the error when the length is not a multiple of 4.
 * @throws {@link EmojeInputError} when the byte length is not a multiple of 4.
 */
export function decodeFloat32LE(bytes: ArrayBuffer | ArrayBufferView, field = 'bytes'): Float32Array {
  const view =
    bytes instanceof ArrayBuffer
      ? new Uint8Array(bytes)
      : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.byteLength % 4 !== 0) {
    throw new EmojeInputError(field, 'a byte length that is a multiple of 4 (float32)', `${view.byteLength} bytes`);
  }
  const n = view.byteLength / 4;
  if (HOST_IS_LITTLE_ENDIAN) {
    // A copy into a fresh, aligned buffer: also detaches the result from a pooled Node Buffer.
    return new Float32Array(view.slice().buffer, 0, n);
  }
  const data = new DataView(view.buffer, view.byteOffset, view.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = data.getFloat32(i * 4, true);
  return out;
}
