import { describe, expect, it } from 'vitest';
import { foldWord, highlightRanges, parseSearchQuery, searchWords } from './fulltext.ts';

describe('full-text search words (XEP-0431)', () => {
  it('folds case and accents, and splits on anything but letters and digits', () => {
    expect(foldWord('ÇA')).toBe('ca');
    expect(foldWord('Prêt')).toBe('pret');
    expect(searchWords("Don't stop — l'été 2024!")).toEqual(['don', 't', 'stop', 'l', 'ete', '2024']);
  });

  it('parses words, prefixes and phrases', () => {
    expect(parseSearchQuery('Hello wor* "Good  Morning" "bon jo"* ?!')).toEqual([
      { words: ['hello'], prefix: false },
      { words: ['wor'], prefix: true },
      { words: ['good', 'morning'], prefix: false },
      { words: ['bon', 'jo'], prefix: true },
    ]);
    expect(parseSearchQuery('  ... ')).toEqual([]);
  });

  it('gives the ranges to highlight in the original text', () => {
    const text = 'Le CAFÉ est prêt, café-crème';
    expect(highlightRanges(text, parseSearchQuery('cafe')).map(([a, b]) => text.slice(a, b))).toEqual(['CAFÉ', 'café']);
    expect(highlightRanges(text, parseSearchQuery('cr*')).map(([a, b]) => text.slice(a, b))).toEqual(['crème']);
    expect(highlightRanges(text, parseSearchQuery('"est pret"')).map(([a, b]) => text.slice(a, b))).toEqual(['est', 'prêt']);
  });
});
