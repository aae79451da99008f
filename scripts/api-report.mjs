/* global process, console */
// Checks (or, with --update, rewrites) the checked-in API report of each
// entry point in review/. Run after `npm run build`: the reports are made
// from the emitted .d.ts files. CI runs the check, so a changed public name
// fails until its report is updated and committed with it.
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const update = process.argv.includes('--update');
const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'api-extractor');
const entries = readdirSync(folder).filter((f) => f.endsWith('.json') && f !== 'base.json');
let failed = 0;
for (const file of entries) {
  const config = ExtractorConfig.loadFileAndPrepare(join(folder, file));
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  const name = config.reportFilePath.split('/').pop();
  if (!result.succeeded || (result.apiReportChanged && !update)) {
    failed++;
    console.error(
      `API report ${name}: ${result.apiReportChanged ? 'the public surface changed' : 'errors'}; run \`npm run api:update\`, review the diff in review/ and list the change in CHANGELOG.md`,
    );
  } else console.log(`API report ${name}: ${result.apiReportChanged ? 'updated' : 'unchanged'}`);
}
process.exit(failed ? 1 : 0);
