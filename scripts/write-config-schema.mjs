// Writes schema/backstop.schema.json, the JSON Schema of backstop.yaml for editors, from the compiled zod schema
// (dist/src/config/config-json-schema.js, built by tsc), so the package always ships the schema of its own code.
// The file is committed too (editors can point at it in the repository); test/config/config-json-schema.test.ts
// fails when the file in the checkout is not what the code generates.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText } from '../dist/src/config/config-json-schema.js';

const folder = join(import.meta.dirname, '..', 'schema');
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'backstop.schema.json'), configJsonSchemaText());
