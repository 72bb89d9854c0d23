/* The generated configuration docs (faxmail.example.toml, README key tables) are in step with the schema. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { renderExampleToml, replaceKeyTables, renderSettings, tomlValue } from '../../lib/config/docs.js';
import { parseConfig, parseConfigDetailed } from '../../lib/config/load.js';

test('faxmail.example.toml is the generated one (run `make docs` after changing lib/config/schema.ts)', () => {
  assert.is(readFileSync(join(repoRoot, 'faxmail.example.toml'), 'utf8'), renderExampleToml());
});

test("the README's key tables are the generated ones (run `make docs`)", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.is(replaceKeyTables(readme), readme);
});

test('the example file loads and every value in it is the default', () => {
  const { config, explicit } = parseConfigDetailed(renderExampleToml(), 'example', { checkPaths: false });
  const defaults = parseConfig('', 'defaults', { checkPaths: false });
  assert.equal(renderSettings(config, explicit), renderSettings(defaults, new Set()));
  assert.ok(explicit.size > 50);
});

test('settings print as TOML values; -n shows only what the file sets; secrets are masked', () => {
  const { config, explicit } = parseConfigDetailed(
    '[fax]\nresolution = "standard"\n[mail]\nsmtp_password = "hunter2"\n',
    't',
    { checkPaths: false },
  );
  assert.equal(renderSettings(config, explicit, { onlySet: true }), [
    'fax.resolution = "standard"',
    'mail.smtp_password = "********"',
  ]);
  assert.ok(renderSettings(config, explicit).includes('retry.busy = { after = 180, max_attempts = 6 }'));
  assert.equal(renderSettings(config, explicit, { keys: ['fax.paper'] }), ['fax.paper = "a4"']);
  assert.is(tomlValue({ '0312': ['a@b.c'] }), '{ "0312" = ["a@b.c"] }');
});

test.run();
