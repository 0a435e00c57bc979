// The documentation's feature table, generated from what the modules declare (never hand-kept).
import type { AnyModuleDefinition } from '../core/module-api.ts';
import { coreSpecifications } from '../stream/specifications.ts';
import { federationSpecifications } from '../s2s/specifications.ts';

export function featureTable(modules: readonly AnyModuleDefinition[]): string {
  const core = coreSpecifications.map((spec) => `| ${spec.spec} | ${spec.version ?? ''} | ${spec.status} | core | ${spec.note ?? ''} |`);
  const s2s = federationSpecifications.map((spec) => `| ${spec.spec} | ${spec.version ?? ''} | ${spec.status} | s2s | ${spec.note ?? ''} |`);
  const rows = modules.flatMap((module) => module.implements.map((spec) =>
    `| ${spec.spec} | ${spec.version ?? ''} | ${spec.status} | ${module.name} | ${spec.note ?? ''} |`));
  return ['| specification | version | status | module | notes |', '| --- | --- | --- | --- | --- |', ...core, ...s2s, ...rows].join('\n');
}
