import { join } from 'node:path';
import * as ts from 'typescript';

/** kind -> where kubernetes-types declares it, for the apiVersions we ship. */
const TYPES: Record<string, { module: string; type: string }> = {
  'v1/Namespace': { module: 'kubernetes-types/core/v1', type: 'Namespace' },
  'v1/Secret': { module: 'kubernetes-types/core/v1', type: 'Secret' },
  'v1/Service': { module: 'kubernetes-types/core/v1', type: 'Service' },
  'v1/ConfigMap': { module: 'kubernetes-types/core/v1', type: 'ConfigMap' },
  'apps/v1/Deployment': { module: 'kubernetes-types/apps/v1', type: 'Deployment' },
  'apps/v1/StatefulSet': { module: 'kubernetes-types/apps/v1', type: 'StatefulSet' },
  'policy/v1/PodDisruptionBudget': {
    module: 'kubernetes-types/policy/v1',
    type: 'PodDisruptionBudget',
  },
};

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

/**
 * Checks manifests against the Kubernetes API types, offline: `kubernetes-types`
 * is generated from the API's OpenAPI schema, and TypeScript checks each
 * manifest as an object literal of its kind. That catches a misspelt or
 * misplaced field (excess property), a missing required one, a wrong type,
 * and a kind under the wrong apiVersion. Returns one message per problem.
 */
export function schemaErrors(manifests: { file: string; doc: Manifest }[]): string[] {
  const errors: string[] = [];
  const imports = new Map<string, Set<string>>();
  const lines: string[] = [];
  manifests.forEach(({ file, doc }, i) => {
    const known = TYPES[`${doc.apiVersion}/${doc.kind}`];
    if (!known) {
      errors.push(`${file}: no schema for ${doc.apiVersion} ${doc.kind}`);
      return;
    }
    if (!imports.has(known.module)) imports.set(known.module, new Set());
    imports.get(known.module)!.add(known.type);
    const alias = `${known.type}_${known.module.split('/')[1]}_${known.module.split('/')[2]}`;
    lines.push(`// ${file} ${doc.kind}/${doc.metadata?.name}`);
    lines.push(`export const m${i}: ${alias} = ${JSON.stringify(doc, null, 2)};`);
  });
  const header = [...imports].flatMap(([module, types]) =>
    [...types].map(
      (t) =>
        `import type { ${t} as ${t}_${module.split('/')[1]}_${module.split('/')[2]} } from '${module}';`,
    ),
  );
  const source = [...header, ...lines].join('\n');
  // A file beside the tests, so `kubernetes-types` resolves from node_modules.
  const fileName = join(__dirname, '__manifests__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    ignoreDeprecations: '6.0',
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (f: string) =>
      f === fileName || exists(f)
  )(host.fileExists.bind(host));
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.getSourceFile = (f, languageVersion, ...rest) =>
    f === fileName
      ? ts.createSourceFile(f, source, languageVersion, true)
      : getSourceFile(f, languageVersion, ...rest);
  const program = ts.createProgram([fileName], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file?.fileName === fileName && d.start !== undefined) {
      // Name the manifest: the nearest `// file kind/name` line above the error.
      const before = source.slice(0, d.start);
      const where = before.slice(before.lastIndexOf('\n// ') + 4).split('\n')[0];
      errors.push(`${where}: ${message}`);
    } else errors.push(message);
  }
  return errors;
}
