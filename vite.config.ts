// Web client build (Svelte 5 + Vite, from webclient/) and the vitest projects.
import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { parse as parseMessage } from '@formatjs/icu-messageformat-parser';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Browser tests that assert timings: run apart from every other test file (project e2e-timing). */
const timingFiles = ['test/e2e/large-roster.test.ts', 'test/e2e/long-conversation.test.ts'];

/**
 * The panel's and the admin console's ICU messages (webclient/src/i18n/<language>.ts, webclient/src/admin/i18n/) parsed at build time, so that the
 * bundle carries intl-messageformat without its parser (FormatJS's no-parser build, ~7 KB gzip
 * less). The catalogs are object literals of string literals; anything else fails the build.
 */
function precompileMessages(): Plugin {
  return {
    name: 'parley-precompile-messages',
    enforce: 'post',
    transform(code, id) {
      if (!/[\\/]webclient[\\/]src[\\/](?:admin[\\/])?i18n[\\/][a-z]{2}\.ts$/.test(id)) return;
      const program = this.parse(code) as unknown as { body: EstreeNode[] };
      const replacements: { start: number; end: number; text: string }[] = [];
      walk(program, (node) => {
        if (node.type !== 'Property' || node.value?.type !== 'Literal' || typeof node.value.value !== 'string') return;
        replacements.push({ start: node.value.start!, end: node.value.end!, text: JSON.stringify(parseMessage(node.value.value)) });
      });
      let out = code;
      for (const { start, end, text } of replacements.sort((a, b) => b.start - a.start)) out = out.slice(0, start) + text + out.slice(end);
      return { code: out, map: null };
    },
  };
}

interface EstreeNode { type: string; start?: number; end?: number; value?: EstreeNode & { value?: unknown }; [key: string]: unknown }

function walk(node: unknown, visit: (node: EstreeNode) => void): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((child) => walk(child, visit));
  visit(node as EstreeNode);
  for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value, visit);
}

/** Writes .br and .gz beside each built text file; the server sends them by Accept-Encoding (static-files.ts). */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'parley-precompress',
    apply: 'build',
    configResolved(config) { outDir = config.build.outDir; },
    closeBundle() {
      const visit = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) visit(path);
          else if (/\.(js|css|html|svg|json)$/.test(entry.name)) {
            const body = readFileSync(path);
            if (body.length < 512) continue;
            writeFileSync(`${path}.br`, brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }));
            writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
          }
        }
      };
      visit(outDir);
    },
  };
}

export default defineConfig({
  root: `${here}webclient`,
  plugins: [svelte(), precompileMessages(), precompress()],
  resolve: {
    // the messages are parsed at build time (precompileMessages): no parser in the bundle
    alias: [
      { find: /^@formatjs\/icu-messageformat-parser$/, replacement: '@formatjs/icu-messageformat-parser/no-parser.js' },
      // the browser's URL parser does UTS 46 for JID domains: no tr46 mapping table in the panel (shared/src/idna-web.ts)
      { find: /^tr46$/, replacement: `${here}shared/src/idna-web.ts` },
    ],
  },
  build: {
    outDir: `${here}dist/webclient`, emptyOutDir: true,
    // the chat panel at /, the admin console at /admin/ (served only when admin authentication is configured)
    rollupOptions: { input: { panel: `${here}webclient/index.html`, admin: `${here}webclient/admin/index.html` } },
  },
  server: {
    // `npm run dev -w @parley/webclient`: the client from Vite, XMPP from a running server
    proxy: {
      '/xmpp-websocket': { target: 'ws://127.0.0.1:5280', ws: true },
      '/http-bind': { target: 'http://127.0.0.1:5280' },
    },
  },
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          root: here,
          include: ['shared/src/**/*.test.ts', 'server/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          root: here,
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', '**/node_modules/**'],
          environment: 'node',
          // `parley start` spawned by a test is one process unless the test asks for workers (cluster/workers.ts)
          env: { PARLEY_WORKERS: '1' },
          // PARLEY_TEST_STORAGE=postgres: one PostgreSQL for the run, the servers' state stores on it
          globalSetup: ['test/helpers/postgres-global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The web client's units and components, in happy-dom, compiled by the Svelte plugin above.
        extends: true,
        resolve: { conditions: ['browser'] },
        test: {
          name: 'webclient',
          root: here,
          include: ['webclient/src/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        // Headless Chromium against a real server serving the built client (test/helpers/browser.ts).
        test: {
          name: 'e2e',
          root: here,
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...timingFiles, '**/node_modules/**'],
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts', 'test/helpers/postgres-global-setup.ts'],
          env: { PARLEY_WORKERS: '1' },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The panel's timing bars (long tasks, key-to-screen) measured with nothing else running:
        // `npm test` runs this project on its own after the others (see package.json).
        test: {
          name: 'e2e-timing',
          root: here,
          include: timingFiles,
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts', 'test/helpers/postgres-global-setup.ts'],
          env: { PARLEY_WORKERS: '1' },
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
