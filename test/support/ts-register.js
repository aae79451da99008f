/* global require, process, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a require hook is CommonJS */
// `node -r ./test/support/ts-register.js file.ts`: runs this repository's
// TypeScript as `ts-node/register/transpile-only` does (TypeScript's
// transpileModule with tsconfig.json's options, no type check), but keeps each
// file's output on disk. The suite starts dozens of processes, and each one
// transpiling lib/ again cost about 5 s of CPU; from the cache, under 1 s.
// The cache key covers the TypeScript version, tsconfig.json and the source,
// so an edit is always compiled afresh.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'nestjs-gossip-ts');
const TSCONFIG = join(ROOT, 'tsconfig.json');
const salt =
  require('typescript/package.json').version + '\0' + readFileSync(TSCONFIG, 'utf8') + '\0';

/** TypeScript and the options, loaded only when a file is not in the cache (loading them costs 0.5 s). */
let compiler;
function transpile(source, fileName) {
  if (!compiler) {
    const ts = require('typescript');
    const { config } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
    const compilerOptions = {
      ...options,
      declaration: false,
      sourceMap: false,
      inlineSourceMap: true, // stack traces name the .ts lines (setSourceMapsEnabled below)
      inlineSources: false,
      noEmit: false,
    };
    compiler = { ts, compilerOptions };
  }
  const { ts, compilerOptions } = compiler;
  return ts.transpileModule(source, { compilerOptions, fileName }).outputText;
}

function load(module, fileName) {
  const source = readFileSync(fileName, 'utf8');
  const key = createHash('sha1')
    .update(salt + relative(ROOT, fileName) + '\0' + source)
    .digest('hex');
  const cached = join(CACHE, key + '.js');
  let output;
  try {
    output = readFileSync(cached, 'utf8');
  } catch {
    output = transpile(source, fileName);
    // Written whole under another name, then renamed: processes starting together never read half a file.
    mkdirSync(CACHE, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, output);
    renameSync(partial, cached);
  }
  module._compile(output, fileName);
}

const inNodeModules = `${sep}node_modules${sep}`;
const previous = require.extensions['.ts'];
require.extensions['.ts'] = (module, fileName) => {
  if (fileName.includes(inNodeModules) && previous) return previous(module, fileName);
  return load(module, fileName);
};
process.setSourceMapsEnabled(true);
