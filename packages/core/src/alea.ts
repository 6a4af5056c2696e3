/**
 * The starting state of the Alea generator that tfjs's random ops (`tf.randomUniform`, hence `tf.dropout`) draw from
 * for a given seed: seedrandom's `alea(String(seed))`, re-derived here so that a fused dropout kernel can continue the
 * same stream and produce tf.dropout's mask bit for bit. `next()` is the generator itself, for tests.
 */
export interface AleaState {
  s0: number;
  s1: number;
  s2: number;
  c: number;
}

/** Baagoe's Mash hash, as seedrandom seeds Alea with it. */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data: string) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000;
    }
    return (n >>> 0) * 2.3283064365386963e-10;
  };
}

/** The state `seedrandom.alea(String(seed))` starts from. */
export function aleaState(seed: number | string): AleaState {
  const text = String(seed);
  const m = mash();
  const state = { c: 1, s0: m(' '), s1: m(' '), s2: m(' ') };
  for (const key of ['s0', 's1', 's2'] as const) {
    state[key] -= m(text);
    if (state[key] < 0) state[key] += 1;
  }
  return state;
}

/** Advances `state` by one draw and returns the draw in [0, 1) (Alea's recurrence). */
export function aleaNext(state: AleaState): number {
  const t = 2091639 * state.s0 + state.c * 2.3283064365386963e-10;
  state.s0 = state.s1;
  state.s1 = state.s2;
  state.c = t | 0;
  state.s2 = t - state.c;
  return state.s2;
}
