// The protocol table in docs/protocols.md is generated from the modules' declarations; it must not
// drift. The README and the docs link to one another by relative paths; none may point nowhere.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { defaultModules } from '../server/src/modules/index.ts';
import { featureTable } from '../server/src/cli/feature-table.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

it('docs/protocols.md lists exactly the protocols the modules declare (regenerate with `npx parley features`)', () => {
  const protocols = readFileSync(join(root, 'docs/protocols.md'), 'utf8');
  expect(protocols).toContain(featureTable(defaultModules));
});

it('every relative link of the README and the docs leads to a file (and a heading) that exists', () => {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-');
  const headings = (file: string) => new Set([...readFileSync(join(root, file), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!)));
  const broken: string[] = [];
  for (const file of files) {
    for (const [, target] of readFileSync(join(root, file), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // http:, https:, mailto:
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : join(dirname(file), path);
      if (!existsSync(join(root, resolved))) broken.push(`${file}: ${target}`);
      else if (anchor && resolved.endsWith('.md') && !headings(resolved).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});
