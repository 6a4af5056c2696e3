/**
 * The retained tail of an unbounded sample stream, for streaming extractors: holds the
 * samples with absolute indices `[start, start + length)` in `data`, growing as needed.
 */
export class SlidingBuffer {
  data: Float32Array;
  /** Absolute stream index of `data[0]`. */
  start = 0;
  /** Number of valid samples in `data`. */
  length = 0;

  constructor(capacity: number) {
    this.data = new Float32Array(capacity);
  }

  /** Empties the buffer; `length` zero samples starting at absolute index `start` are kept (for filter history). */
  reset(capacity: number, start = 0, length = 0): void {
    this.data = new Float32Array(Math.max(capacity, length));
    this.start = start;
    this.length = length;
  }

  /**
   * Discards the samples before absolute index `keepFrom`, then appends `count` samples of
   * `chunk` (zeros past its end).
   */
  append(chunk: ArrayLike<number>, count = chunk.length, keepFrom = this.start): void {
    const drop = Math.max(0, Math.min(this.length, keepFrom - this.start));
    if (this.length - drop + count > this.data.length) {
      const grown = new Float32Array(Math.max(2 * this.data.length, this.length - drop + count));
      grown.set(this.data.subarray(drop, this.length));
      this.data = grown;
    } else if (drop > 0) {
      this.data.copyWithin(0, drop, this.length);
    }
    this.start += drop;
    this.length -= drop;
    const at = this.length;
    if (chunk.length >= count && (chunk instanceof Float32Array || chunk instanceof Float64Array)) {
      this.data.set(chunk.length === count ? chunk : chunk.subarray(0, count), at);
    } else {
      for (let i = 0; i < count; i++) this.data[at + i] = i < chunk.length ? chunk[i] : 0;
    }
    this.length += count;
  }
}
