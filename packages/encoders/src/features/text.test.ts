import { describe, expect, it } from 'vitest';
import { Vocabulary, tokenize } from './text';

describe('tokenize', () => {
  it('lower-cases, splits clitics and punctuation the GloVe way', () => {
    expect(tokenize('You must’ve had your hands full.')).toEqual(['you', 'must', "'ve", 'had', 'your', 'hands', 'full', '.']);
    expect(tokenize("I don't know, can't say!")).toEqual(['i', 'do', "n't", 'know', ',', 'ca', "n't", 'say', '!']);
    expect(tokenize('my company’s transition from the KL-5')).toEqual(['my', 'company', "'s", 'transition', 'from', 'the', 'kl', '-', '5']);
    expect(tokenize('“Oh…” What?!')).toEqual(['"', 'oh', '.', '"', 'what', '?', '!']);
  });

  it('collapses runs of the same punctuation only when adjacent', () => {
    expect(tokenize('no!!! no ! !')).toEqual(['no', '!', 'no', '!', '!']);
  });

  it('keeps non-ASCII letters and gives nothing for blank text', () => {
    expect(tokenize('Café Noël')).toEqual(['café', 'noël']);
    expect(tokenize('   ')).toEqual([]);
  });

  it('rejects a non-string', () => {
    expect(() => tokenize(42 as unknown as string)).toThrow(/text/);
  });
});

describe('Vocabulary', () => {
  it('puts the specials first and the frequent tokens next', () => {
    const vocab = Vocabulary.build(['a b b', 'b c'], {});
    expect(vocab.tokens.slice(0, 3)).toEqual(['<pad>', '<unk>', 'b']);
    expect(vocab.size).toBe(5);
    expect(Array.from(vocab.encode('b z a'))).toEqual([2, Vocabulary.UNK, vocab.id('a')]);
    expect(vocab.decode([2, 0, 1])).toEqual(['b', '<unk>']);
  });

  it('honours minCount, include and maxSize', () => {
    const vocab = Vocabulary.build(['x x y z'], { minCount: 2, include: ['z'] });
    expect(vocab.has('x')).toBe(true);
    expect(vocab.has('y')).toBe(false);
    expect(vocab.has('z')).toBe(true);
    expect(Vocabulary.build(['x x y'], { maxSize: 1 }).tokens).toEqual(['<pad>', '<unk>', 'x']);
  });

  it('truncates to maxTokens and round-trips through its token list', () => {
    const vocab = Vocabulary.build(['one two three four']);
    expect(vocab.encode('one two three four', 2).length).toBe(2);
    const copy = new Vocabulary(JSON.parse(JSON.stringify(vocab.tokens)));
    expect(Array.from(copy.encode('four three'))).toEqual(Array.from(vocab.encode('four three')));
  });

  it('rejects tables without the specials or with duplicates, naming the entry', () => {
    expect(() => new Vocabulary(['a', 'b'])).toThrow(/vocabulary/);
    expect(() => new Vocabulary(['<pad>', '<unk>', 'a', 'a'])).toThrow(/vocabulary\[3\]/);
    expect(() => Vocabulary.build(['a'], { minCount: 0 })).toThrow(/minCount/);
  });
});
