import { AUDIO_UTTERANCE_VECTOR_WIDTH, FACE_API_EXPRESSIONS } from '@emoje/encoders';
import type { ResolvedModelConfig } from '@emoje/runtime-web';
import { describe, expect, it } from 'vitest';
import { buildDialogue, expressionMenu, expressionScores, expressionVector, modalityRole, tokenBudget, type UtteranceRow } from './dialogue';

const modalities = [
  { name: 'text', kind: 'tokens', vocabulary: ['<pad>', '<unk>', 'hi'], embeddingDim: 8, maxTokens: 8, trainableEmbeddings: false, temporal: 'convolution', kernelSize: 3 },
  { name: 'audio', kind: 'vector', dim: AUDIO_UTTERANCE_VECTOR_WIDTH },
  { name: 'face', kind: 'vector', dim: 15 },
] as ResolvedModelConfig['modalities'];

const row = (over: Partial<UtteranceRow>): UtteranceRow => ({ speaker: 'A', text: '', audio: null, expression: '', ...over });

describe('the page rows to a model dialogue', () => {
  it('reads each modality by its kind and name', () => {
    expect(modalities.map(modalityRole)).toEqual(['text', 'audio', 'face']);
    expect(modalityRole({ name: 'visual', kind: 'vector', dim: 100 })).toBe('face');
    expect(modalityRole({ name: 'body', kind: 'vector', dim: 147 })).toBe('unsupported');
  });

  it('fills text, audio and face, skips empty rows and keeps the row index', () => {
    const audio = new Float32Array(AUDIO_UTTERANCE_VECTOR_WIDTH).fill(0.5);
    const { dialogue, rows, notes } = buildDialogue(
      [row({ speaker: ' Ann ', text: ' hi there ', expression: 'happy' }), row({}), row({ speaker: '', audio })],
      { modalities },
      { privacy: false },
    );
    expect(rows).toEqual([0, 2]);
    expect(dialogue.utterances[0]).toEqual({ speaker: 'Ann', features: { text: 'hi there', face: expressionVector('happy') } });
    expect(dialogue.utterances[1]).toEqual({ speaker: 'A', features: { audio } });
    expect(notes).toEqual([[], []]);
  });

  it('privacy leaves every face out and says so', () => {
    const { dialogue, notes } = buildDialogue([row({ text: 'hi', expression: 'sad' })], { modalities }, { privacy: true });
    expect(dialogue.utterances[0].features).toEqual({ text: 'hi' });
    expect(notes[0]).toEqual(['face: left out (privacy)']);
  });

  it('leaves out, with a note, inputs whose width the model does not take', () => {
    const wide = [...modalities.slice(0, 2), { name: 'face', kind: 'vector', dim: 100 }] as ResolvedModelConfig['modalities'];
    const { dialogue, notes } = buildDialogue([row({ text: 'hi', expression: 'sad', audio: new Float32Array(3) })], { modalities: wide }, { privacy: false });
    expect(dialogue.utterances[0].features).toEqual({ text: 'hi' });
    expect(notes[0]).toEqual(['audio: the recording gives 3 values, the model wants 77', 'face: the expression gives 15 values, the model wants 100']);
  });

  it('an expression is one face frame of face-api.js-style scores', () => {
    const scores = expressionScores('angry', 0.9);
    expect(Object.keys(scores)).toEqual([...FACE_API_EXPRESSIONS]);
    expect(scores.angry).toBeCloseTo(0.9, 6);
    expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const v = expressionVector('angry');
    expect(v.length).toBe(15);
    expect(v[FACE_API_EXPRESSIONS.indexOf('angry')]).toBeCloseTo(0.9, 6);
    expect(v[14]).toBe(1); // one real frame
    expect(() => expressionScores('bored')).toThrow(/expression: expected one of neutral/);
  });

  it('says when a text is longer than the model reads (maxTokens), naming the last token read', () => {
    const text = modalities[0] as Extract<ResolvedModelConfig['modalities'][number], { kind: 'tokens' }>;
    expect(tokenBudget('hi there, you', text)).toEqual({ tokens: 4, maxTokens: 8, truncated: false, lastRead: 'you' });
    const long = 'one two three four five six seven eight nine ten';
    expect(tokenBudget(long, text)).toEqual({ tokens: 10, maxTokens: 8, truncated: true, lastRead: 'eight' });
    const { notes } = buildDialogue([row({ text: long }), row({ text: 'hi' })], { modalities }, { privacy: false });
    expect(notes).toEqual([['text: 10 words and punctuation marks, the model reads only the first 8 (up to “eight”); the rest is ignored'], []]);
  });
});

describe('the face menu', () => {
  it('lists first the expressions that match a class of the model, with the class, then the others', () => {
    expect(expressionMenu(['neutral', 'joy', 'sadness', 'anger'])).toEqual({
      matched: [
        { expression: 'neutral', className: 'neutral' },
        { expression: 'happy', className: 'joy' },
        { expression: 'sad', className: 'sadness' },
        { expression: 'angry', className: 'anger' },
      ],
      unmatched: ['fearful', 'disgusted', 'surprised'],
    });
  });

  it('matches all seven for MELD-style classes, case-insensitively, and none for unrelated ones', () => {
    const meld = ['Neutral', 'Surprise', 'Fear', 'Sadness', 'Joy', 'Disgust', 'Anger'];
    const menu = expressionMenu(meld);
    expect(menu.unmatched).toEqual([]);
    expect(menu.matched.map((m) => `${m.expression}:${m.className}`)).toEqual(['neutral:Neutral', 'happy:Joy', 'sad:Sadness', 'angry:Anger', 'fearful:Fear', 'disgusted:Disgust', 'surprised:Surprise']);
    expect(expressionMenu(['positive', 'negative'])).toEqual({ matched: [], unmatched: [...FACE_API_EXPRESSIONS] });
  });
});
