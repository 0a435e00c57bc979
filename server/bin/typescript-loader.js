// `node --import ./typescript-loader.js`: run TypeScript sources directly (see typescript-hooks.js).
import { register } from 'node:module';

register('./typescript-hooks.js', import.meta.url);
process.setSourceMapsEnabled(true);
