/**
 * `npm run schemas`: writes the event contract's JSON Schema files to docs/schemas/ from
 * workers/shared/event-schemas.ts, the module the bridge validates with. Run it after changing an
 * event; tests/workers/shared/event-schemas.test.ts fails while the files and the module differ.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../local/lib/paths.js';
import { RECORD_SCHEMAS } from '../workers/shared/event-schemas.js';

export const SCHEMA_DIR = join(repoRoot, 'docs', 'schemas');

/** The text of a schema file, exactly as written (the drift test compares it). */
export function schemaFileText(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

function main(): void {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  const keep = new Set(RECORD_SCHEMAS.map((r) => r.file));
  for (const file of readdirSync(SCHEMA_DIR))
    if (file.endsWith('.schema.json') && !keep.has(file)) rmSync(join(SCHEMA_DIR, file));
  for (const { file, schema } of RECORD_SCHEMAS) {
    writeFileSync(join(SCHEMA_DIR, file), schemaFileText(schema));
    console.log(`wrote docs/schemas/${file}`);
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
