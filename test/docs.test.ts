// The README's protocol table is generated from the modules' declarations; it must not drift.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { defaultModules } from '../server/src/modules/index.ts';
import { featureTable } from '../server/src/cli/feature-table.ts';

it('README lists exactly the protocols the modules declare (regenerate with `npx parley features`)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  expect(readme).toContain(featureTable(defaultModules));
});
