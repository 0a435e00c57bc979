// No user-visible text is written into the components: every text node and every labelling
// attribute goes through the translations (i18n/messages), which English and French both cover.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';
import { en } from '../webclient/src/i18n/en.ts';
import { fr } from '../webclient/src/i18n/fr.ts';
import { en as adminEn } from '../webclient/src/admin/i18n/en.ts';
import { fr as adminFr } from '../webclient/src/admin/i18n/fr.ts';

const components = fileURLToPath(new URL('../webclient/src/components', import.meta.url));
const adminConsole = fileURLToPath(new URL('../webclient/src/admin', import.meta.url));
const LABELLING = new Set(['aria-label', 'title', 'placeholder', 'alt', 'aria-description', 'aria-roledescription', 'label']);
const WORDS = /\p{L}{2,}/u;

interface Node { type: string; data?: string; name?: string; value?: unknown; start: number; [key: string]: unknown }

function findings(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const ast = parse(source, { modern: true }) as unknown as { fragment: Node };
  const found: string[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Node;
    if (n.type === 'Text' && typeof n.data === 'string' && WORDS.test(n.data)) found.push(`text "${n.data.trim()}"`);
    if (n.type === 'Attribute' && LABELLING.has(n.name ?? '') && Array.isArray(n.value)) {
      for (const part of n.value as Node[]) if (part.type === 'Text' && WORDS.test(part.data ?? '')) found.push(`${n.name}="${part.data}"`);
    }
    if (n.type === 'StyleSheet' || n.type === 'Script' || n.type === 'Attribute' || n.type === 'StyleDirective') return;
    for (const [key, value] of Object.entries(n)) if (key !== 'parent' && key !== 'metadata') visit(value);
  };
  visit(ast.fragment);
  return found;
}

describe('translations', () => {
  it('leaves no user-visible text hard-coded in a component', () => {
    const all: string[] = [];
    for (const name of readdirSync(components).filter((f: string) => f.endsWith('.svelte'))) {
      for (const finding of findings(join(components, name))) all.push(`${name}: ${finding}`);
    }
    for (const name of ['App.svelte']) for (const finding of findings(join(components, '..', name))) all.push(`${name}: ${finding}`);
    expect(all).toEqual([]);
  });

  it('leaves no user-visible text hard-coded in the admin console', () => {
    const all: string[] = [];
    for (const folder of [adminConsole, join(adminConsole, 'screens')]) {
      for (const name of readdirSync(folder).filter((f: string) => f.endsWith('.svelte'))) {
        for (const finding of findings(join(folder, name))) all.push(`${name}: ${finding}`);
      }
    }
    expect(all).toEqual([]);
  });

  it('has every English message in French, with the same placeholders (the panel and the admin console)', () => {
    for (const [catalogEn, catalogFr] of [[en, fr], [adminEn, adminFr]] as Array<[Record<string, string>, Record<string, string>]>) expectSameKeys(catalogEn, catalogFr);
  });
});

function expectSameKeys(en: Record<string, string>, fr: Record<string, string>): void {
  {
    for (const [key, text] of Object.entries(en)) {
      const french = (fr as Record<string, string>)[key];
      expect(french, key).toBeTypeOf('string');
      const names = (message: string) => [...new Set([...message.matchAll(/\{(\w+)\s*[,}]/g)].map((m) => m[1]))].sort();
      expect(names(french!), key).toEqual(names(text));
    }
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  }
}
