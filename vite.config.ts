// Web client build (Svelte 5 + Vite, from webclient/) and the vitest projects.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: `${here}webclient`,
  plugins: [svelte()],
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
          environment: 'node',
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
