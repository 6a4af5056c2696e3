import { describe, expect, it } from 'vitest';
import { EmojeInputError } from '@emoje/core';
import { DIALOGUE_CONTEXT_DEFAULTS, resolveDialogueContextOptions, type DialogueContextOptions } from './options';

describe('resolveDialogueContextOptions', () => {
  it('fills in every default', () => {
    expect(resolveDialogueContextOptions({ units: 8 })).toEqual({
      units: 8,
      numLayers: 2,
      numHeads: 4,
      feedForwardDim: 16,
      maxSpeakers: 16,
      maxUtterances: 256,
      causal: false,
      globalContext: true,
      speakerContext: true,
      dropout: 0.1,
      activation: 'gelu',
      seed: null,
    });
    expect(DIALOGUE_CONTEXT_DEFAULTS.numLayers).toBe(2);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ units: 0 }, 'units'],
    [{ units: 2.5 }, 'units'],
    [{ units: 8, numLayers: 0 }, 'numLayers'],
    [{ units: 8, numHeads: 3 }, 'numHeads'],
    [{ units: 8, numHeads: 0 }, 'numHeads'],
    [{ units: 8, feedForwardDim: -1 }, 'feedForwardDim'],
    [{ units: 8, maxSpeakers: 0 }, 'maxSpeakers'],
    [{ units: 8, maxUtterances: 1.5 }, 'maxUtterances'],
    [{ units: 8, causal: 'yes' }, 'causal'],
    [{ units: 8, globalContext: 1 }, 'globalContext'],
    [{ units: 8, speakerContext: 'no' }, 'speakerContext'],
    [{ units: 8, globalContext: false, speakerContext: false }, 'speakerContext'],
    [{ units: 8, dropout: 1 }, 'dropout'],
    [{ units: 8, dropout: -0.1 }, 'dropout'],
    [{ units: 8, activation: 'swish' }, 'activation'],
    [{ units: 8, seed: -3 }, 'seed'],
  ])('rejects %j naming %s', (args, field) => {
    let error: unknown;
    try {
      resolveDialogueContextOptions({ units: 8, ...args } as DialogueContextOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EmojeInputError);
    expect((error as EmojeInputError).field).toBe(field);
  });

  it('rejects a missing units', () => {
    expect(() => resolveDialogueContextOptions({} as DialogueContextOptions)).toThrow(EmojeInputError);
  });
});
