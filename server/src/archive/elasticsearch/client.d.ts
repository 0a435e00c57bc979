// @elastic/elasticsearch 7.10 ships its types (index.d.ts) but its package.json "exports" does not
// point ESM imports at them; this maps the package's ESM entry to those types.
declare module '@elastic/elasticsearch' {
  export * from '@elastic/elasticsearch/index.js';
}
