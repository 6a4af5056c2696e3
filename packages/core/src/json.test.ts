import { describe, expect, it } from 'vitest';
import { EmojeInputError, describeFileValue, describeJsonSyntaxError, parseJsonText } from './index';

describe('content-free JSON errors', () => {
  it('never quotes the text that failed to parse (V8 does: /etc/passwd showed root:x:0:0)', () => {
    const secret = 'root:x:0:0:root:/root:/bin/bash';
    let caught: unknown;
    try {
      parseJsonText(secret, '/etc/passwd');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EmojeInputError);
    const message = (caught as Error).message;
    expect(message).toContain('/etc/passwd');
    expect(message).toContain('not valid JSON');
    expect(message).not.toMatch(/root|x:0/);
  });

  it('gives the position or the early end, and parses valid JSON', () => {
    expect(() => parseJsonText('[1,2', 'a.json')).toThrow(/a\.json: expected valid JSON, received not valid JSON \(stopped at position 4\)/);
    expect(() => parseJsonText('{"a": ', 'a.json')).toThrow(/ends too early/);
    expect(parseJsonText('{"a": [1]}', 'a.json')).toEqual({ a: [1] });
    expect(describeJsonSyntaxError(new SyntaxError("Unexpected token 'p', \"password\" is not valid JSON"))).toBe('not valid JSON');
  });

  it('describes file values by type and size, strings never by content', () => {
    expect(describeFileValue('hunter2')).toBe('a string of 7 characters');
    expect(describeFileValue(1e8)).toBe('100000000');
    expect(describeFileValue([1, 2])).toBe('an array of length 2');
    expect(describeFileValue({ a: 'secret' })).toBe('an object');
    expect(describeFileValue(null)).toBe('null');
    expect(describeFileValue(undefined)).toBe('nothing');
  });
});
