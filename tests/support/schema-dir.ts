import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPARTMENTS, schemaPath } from '../../shared/departments';

/** A temporary ONESOURCE_SCHEMA_DIR holding a copy of the five departments' SDL: tests change the copy, never the repo. */
export function copiedSchemaDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-schemas-'));
  for (const { name } of DEPARTMENTS) {
    fs.mkdirSync(path.join(dir, name));
    fs.copyFileSync(schemaPath(name), path.join(dir, name, 'schema.graphql'));
  }
  return dir;
}
