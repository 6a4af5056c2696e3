import { EmojeInputError, assertInteger } from '@emoje/core';
import type { DialogueInput } from './batch';
import { createEnsemble, type EmojeEnsemble } from './ensemble';
import type { EmojeModel } from './model';
import { train, type TrainOptions, type TrainResult } from './trainer';

/**
 * The seeds of an ensemble's members for a run seed: `seed`, `seed + 1000`, `seed + 2000`, ... The first member
 * is the single model of that seed, so an ensemble run also reports what one model scores.
 */
export function memberSeeds(seed: number, members: number): number[] {
  assertInteger('members', members, 1);
  return Array.from({ length: members }, (_, k) => seed + 1000 * k);
}

export interface TrainEnsembleOptions extends Omit<TrainOptions, 'checkpoint' | 'resume'> {
  /** How many members to train. */
  members: number;
  /** Called before each member trains, with its index and seed. */
  onMemberStart?: (member: number, seed: number) => void;
  /** Called after each member has trained. */
  onMemberEnd?: (member: number, result: TrainResult) => void | Promise<void>;
}

/**
 * Trains `options.members` models, each created by `createMember(seed)` with a seed from {@link memberSeeds} and
 * trained by `train` with that seed, and returns them as an ensemble. Training options apply to every member; the
 * callbacks `onStep` and `onEpochEnd` fire for each member in turn.
 * @throws EmojeInputError naming the option at fault. If a member fails to train, the members made so far are disposed.
 */
export async function trainEnsemble(
  createMember: (seed: number) => EmojeModel | Promise<EmojeModel>,
  data: { train: readonly DialogueInput[]; dev?: readonly DialogueInput[] },
  options: TrainEnsembleOptions,
): Promise<{ ensemble: EmojeEnsemble; results: TrainResult[] }> {
  if (!options || typeof options !== 'object') throw new EmojeInputError('options', 'an object with members', String(options));
  if ((options as TrainOptions).checkpoint !== undefined || (options as TrainOptions).resume) {
    throw new EmojeInputError('options.checkpoint', 'no checkpoint or resume (train members one by one with train() to checkpoint each)', 'a checkpoint option');
  }
  const { members, onMemberStart, onMemberEnd, ...trainOptions } = options;
  assertInteger('options.members', members, 1);
  const seeds = memberSeeds(trainOptions.seed ?? 1, members);
  const models: EmojeModel[] = [];
  const results: TrainResult[] = [];
  try {
    for (const [k, seed] of seeds.entries()) {
      onMemberStart?.(k, seed);
      const model = await createMember(seed);
      models.push(model);
      const result = await train(model, data, { ...trainOptions, seed });
      results.push(result);
      await onMemberEnd?.(k, result);
    }
    return { ensemble: createEnsemble(models), results };
  } catch (error) {
    for (const m of models) m.dispose();
    throw error;
  }
}
