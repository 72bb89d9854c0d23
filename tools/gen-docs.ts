/*
 * gen-docs.ts: rewrite the generated documentation in the source tree from lib/config/schema.ts:
 * faxmail.example.toml and the README's key tables (`make docs`). test/config/docs.test.ts fails when
 * either is out of step. Man pages and bash completion are generated at build time (tools/gen-man.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderExampleToml, replaceKeyTables } from '../lib/config/docs.js';

const root = process.argv[2] ?? process.cwd();
writeFileSync(join(root, 'faxmail.example.toml'), renderExampleToml());
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, replaceKeyTables(readFileSync(readmePath, 'utf8')));
process.stdout.write('gen-docs: faxmail.example.toml and README.md key tables written\n');
