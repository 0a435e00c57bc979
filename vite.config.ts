// Web client build (Svelte 5 + Vite, from webclient/) and the vitest projects.
import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));

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
  plugins: [svelte(), precompress()],
  build: { outDir: `${here}dist/webclient`, emptyOutDir: true },
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
          environment: 'node',
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
