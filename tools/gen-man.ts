/*
 * gen-man.ts: write the man pages and the bash completion, generated from lib/cli/spec.ts and the config
 * schema, into OUT (default dist/): man/faxmail.8, man/sendfax.8, man/faxmail-notify.8,
 * man/faxmail.toml.5 and completion/faxmail. `make build` runs it; scripts/install.sh installs the result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS } from '../lib/cli/spec.js';
import { renderConfigManPage, renderManPage } from '../lib/cli/man.js';
import { renderBashCompletion } from '../lib/cli/completion.js';

const out = process.argv[2] ?? 'dist';
mkdirSync(join(out, 'man'), { recursive: true });
mkdirSync(join(out, 'completion'), { recursive: true });
for (const p of PROGRAMS) writeFileSync(join(out, 'man', `${p.name}.8`), renderManPage(p));
writeFileSync(join(out, 'man', 'faxmail.toml.5'), renderConfigManPage());
writeFileSync(join(out, 'completion', 'faxmail'), renderBashCompletion());
