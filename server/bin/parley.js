#!/usr/bin/env -S node --max-semi-space-size=32
// Runs the TypeScript sources directly: esbuild compiles each file on load (typescript-hooks.js).
import './typescript-loader.js';

await import('../src/cli/main.ts');
