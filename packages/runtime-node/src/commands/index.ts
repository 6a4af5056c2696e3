import type { CommandRegistrar } from '../program';
import { registerEvalCommand } from './eval';
import { registerInfoCommand } from './info';
import { registerPredictCommand } from './predict';
import { registerTrainCommand } from './train';

/**
 * The commands `emoje` ships, in help order. Each lives in its own module under `commands/` and
 * exports a {@link CommandRegistrar}; add new ones (train, eval, predict) here.
 */
export const BUILTIN_COMMANDS: readonly CommandRegistrar[] = [registerTrainCommand, registerEvalCommand, registerPredictCommand, registerInfoCommand];

export { registerEvalCommand, registerInfoCommand, registerPredictCommand, registerTrainCommand };
