// Kysely (the query layer's SQL builder), loaded from its CommonJS build. Its ES module build is
// some 280 files, and each import of a file passes through the TypeScript loader's module hooks
// (server/bin/typescript-hooks.js, on a thread of their own in Node 20): about 2 s more at every
// start of the server and of each CLI command on this machine under load, against none through
// require(). Same package, same version; the types are the package's.
import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';

const kysely = createRequire(import.meta.url)('kysely') as typeof KyselyModule;

export const {
  DummyDriver, PostgresAdapter, PostgresDialect, PostgresIntrospector, PostgresQueryCompiler, sql,
  SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler,
} = kysely;
// the classes also used as types
export const Kysely = kysely.Kysely;
export type Kysely<DB> = KyselyModule.Kysely<DB>;
export const CompiledQuery = kysely.CompiledQuery;
export type CompiledQuery<O = unknown> = KyselyModule.CompiledQuery<O>;
