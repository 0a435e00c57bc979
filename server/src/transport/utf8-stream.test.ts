import { describe, expect, it } from 'vitest';
import { InvalidUtf8Error, Utf8StreamDecoder } from './utf8-stream.ts';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s/g, ''), 'hex');

function decodeAll(chunks: Buffer[]): string {
  const decoder = new Utf8StreamDecoder();
  return chunks.map((chunk) => decoder.decode(chunk)).join('');
}

function failure(chunks: Buffer[]): InvalidUtf8Error {
  const decoder = new Utf8StreamDecoder();
  try {
    for (const chunk of chunks) decoder.decode(chunk);
  } catch (error) {
    if (error instanceof InvalidUtf8Error) return error;
    throw error;
  }
  throw new Error('decoded without error');
}

describe('Utf8StreamDecoder', () => {
  const text = 'a é € 😀 z';
  const encoded = Buffer.from(text, 'utf8');

  it('decodes text split at every byte position', () => {
    for (let cut = 0; cut <= encoded.length; cut++) {
      expect(decodeAll([encoded.subarray(0, cut), encoded.subarray(cut)])).toBe(text);
    }
  });

  it('decodes text fed one byte at a time', () => {
    expect(decodeAll([...encoded].map((byte) => Buffer.from([byte])))).toBe(text);
  });

  it.each([
    ['a lone 0xFF', '3c61 ff 3e'],
    ['a lone continuation byte', '61 80 62'],
    ['an overlong encoding of "/"', 'c0af'],
    ['an encoded surrogate (U+D800)', 'eda080'],
    ['a code point above U+10FFFF', 'f4908080'],
    ['a lead byte followed by ASCII', 'e2 3c'],
  ])('refuses %s', (_what, hex) => {
    expect(failure([bytes(hex)])).toBeInstanceOf(InvalidUtf8Error);
  });

  it('refuses a bad sequence cut across chunks', () => {
    expect(failure([bytes('61 ed'), bytes('a0 80')])).toBeInstanceOf(InvalidUtf8Error);
    expect(failure([bytes('61 e2'), bytes('82 3c')])).toBeInstanceOf(InvalidUtf8Error);
  });

  it('gives the text before the first bad byte', () => {
    expect(failure([bytes('3c6d3e c3a9 ff 3c')]).validPrefix).toBe('<m>é');
    expect(failure([bytes('3c 61'), bytes('62 e282ac e2 3c')]).validPrefix).toBe('b€');
  });
});
