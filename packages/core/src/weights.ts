import type { LayerVariable, initializers } from '@tensorflow/tfjs-layers';
import * as tfl from '@tensorflow/tfjs-layers';

/** An initializer instance from `tf.initializers`. */
export type Initializer = ReturnType<typeof initializers.glorotUniform>;

/**
 * Creates one named weight. Custom layers pass
 * `(name, shape, init) => this.addWeight(name, shape, 'float32', init)` so the shared
 * building blocks below can declare weights that the layer owns, saves and trains.
 */
export type WeightFactory = (name: string, shape: number[], initializer: Initializer) => LayerVariable;

/**
 * Hands out initializers with distinct seeds derived from one layer seed, so a
 * seeded layer initialises identically on every run; unseeded layers draw freshly.
 */
export class InitializerSource {
  private count = 0;

  constructor(private readonly seed?: number) {}

  private nextSeed(): number | undefined {
    this.count += 1;
    return this.seed == null ? undefined : (this.seed * 1000003 + this.count * 7919) % 2147483647;
  }

  glorot(): Initializer {
    return tfl.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  normal(stddev: number): Initializer {
    return tfl.initializers.randomNormal({ mean: 0, stddev, seed: this.nextSeed() });
  }

  zeros(): Initializer {
    return tfl.initializers.zeros();
  }

  ones(): Initializer {
    return tfl.initializers.ones();
  }

  constant(value: number): Initializer {
    return tfl.initializers.constant({ value });
  }
}
