/* The README's copy-paste snippets are checked against the real files and parsers. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot, binPath } from './helpers/paths.js';
import { parseConfig } from '../lib/config/load.js';
import { SCHEMA } from '../lib/config/schema.js';
import {
  DEFAULT_GLOBALS,
  EMPTY_CONFIGS,
  EXAMPLE_SETTINGS,
  PJSIP_MODULES,
  README_TRUNK,
  TRUNK_DIDS,
  renderAsteriskConf,
  renderExtensionsInclude,
  renderIndicationsConf,
  renderLoggerConf,
  renderModulesConf,
  renderPjsipTrunk,
  renderSharedLine,
  renderTrunkContext,
} from './helpers/asterisk-config.js';
import { USERADD_ARGS } from './helpers/asterisk-bed.js';
import { LAYERS } from './helpers/layers.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

function blocks(lang: string): string[] {
  const re = new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g');
  return [...readme.matchAll(re)].map((m) => m[1]!);
}

test('the README names make demo and make test', () => {
  assert.match(readme, 'make demo');
  assert.match(readme, 'make test');
});

test('the README lists the layers of lib/ as test/layers.test.ts enforces them', () => {
  for (const { name, modules } of LAYERS) {
    const line = `- **${name}**: ${modules.map((m) => '`' + m + '`').join(', ')}`;
    assert.ok(readme.includes(`\n${line}\n`), `README lacks the line: ${line}`);
  }
});

test('every lint rule biome.json turns off has its reason in the README', () => {
  const off: string[] = [];
  const walk = (rules: Record<string, Record<string, unknown>>): void => {
    for (const [group, set] of Object.entries(rules))
      if (typeof set === 'object')
        for (const [rule, level] of Object.entries(set)) if (level === 'off') off.push(`${group}/${rule}`);
  };
  const biome = JSON.parse(readFileSync(join(repoRoot, 'biome.json'), 'utf8'));
  walk(biome.linter.rules);
  for (const o of biome.overrides ?? []) if (o.linter?.rules) walk(o.linter.rules);
  assert.ok(off.length > 0);
  for (const rule of off) assert.ok(readme.includes('\n- `' + rule + '`'), `README gives no reason for ${rule}`);
});

test('every TOML example in the README is a valid configuration', () => {
  const tomls = blocks('toml');
  assert.ok(tomls.length >= 1);
  for (const t of tomls) {
    const c = parseConfig(t, 'README.md', { checkPaths: false });
    assert.ok(c.paths.spool.startsWith('/'));
  }
  // The full example of the Configuration section (smaller snippets come earlier, e.g. [send]).
  const full = tomls.find((t) => t.includes('0312345679'));
  assert.ok(full, 'the Configuration example');
  const c = parseConfig(full!, 'README.md', { checkPaths: false });
  assert.equal(c.inbound.recipients['0312345679'], ['sales@yourcompany.jp', 'boss@yourcompany.jp']);
  assert.equal(c.numbers.rewrite, [{ match: '^\\+81', replace: '0' }]);
});

test('every configuration key is documented in the README', () => {
  for (const [section, keys] of Object.entries(SCHEMA)) {
    assert.ok(readme.includes(`**[${section}]**`), section);
    for (const key of Object.keys(keys)) assert.ok(readme.includes(`| \`${key}\` |`), `${section}.${key}`);
  }
});

test('the master.cf shown in the README is the shipped one', () => {
  const shipped = readFileSync(join(repoRoot, 'postfix/master.cf'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .join('\n');
  const shown = readme.split('`postfix/master.cf`:')[1]!.split('```')[1]!.replace(/^\n/, '').trim();
  assert.is(shown, shipped.trim());
});

test("the README's sed line adapts transport.regexp to another domain", () => {
  const lines = readme.split('\n');
  const i = lines.findIndex((l) => l.startsWith('sed ') && l.includes('yourcompany'));
  const command = (lines[i]!.replace(/\\$/, '') + ' ' + lines[i + 1]!.trim()).trim();
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-readme-'));
  const target = join(dir, 'transport.regexp');
  execFileSync('bash', ['-c', command.replace('/etc/postfix/faxmail/transport.regexp', target)], { cwd: repoRoot });
  const out = readFileSync(target, 'utf8');
  assert.match(out, /^\/\^fax\\\+\[\^@\]\+@fax\\\.yourcompany\\\.jp\$\/\tfax:$/m);
  assert.match(out, 'fax+NUMBER@fax.yourcompany.jp');
  assert.not.match(out, 'example.com');
});

test('every faxmail subcommand in the README exists', () => {
  const help = execFileSync(process.execPath, [binPath('faxmail'), '--help'], { encoding: 'utf8' });
  const used = [...readme.matchAll(/`faxmail ([a-z-]+)/g)].map((m) => m[1]!);
  assert.ok(used.length >= 6);
  for (const sub of new Set(used)) assert.ok(help.includes(`faxmail ${sub}`), sub);
});

test('the Subject options in the README are the ones sendfax understands', async () => {
  const { parseSubjectOptions } = await import('../lib/mime/subject-options.js');
  for (const opt of ['+fine', '+standard', '+superfine', '+body', '+nobody', '+cover', '+nocover']) {
    assert.ok(readme.includes(`| \`${opt}\` |`), opt);
    const o = parseSubjectOptions(`Invoice ${opt}`);
    assert.is(o.subject, 'Invoice');
    assert.ok(o.resolution !== undefined || o.body !== undefined || o.cover !== undefined, opt);
  }
});

/** The code block that follows `label` in the README. */
function blockAfter(label: string): string {
  const at = readme.indexOf(label);
  assert.ok(at >= 0, `README has ${label}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `a code block after ${label}`);
  return m![1]!;
}

test('the Asterisk files in the README are the ones the test bed writes', () => {
  assert.is(blockAfter('`/etc/asterisk/asterisk.conf`:'), renderAsteriskConf());
  assert.is(blockAfter('`/etc/asterisk/modules.conf`'), renderModulesConf());
  assert.is(blockAfter('`/etc/asterisk/logger.conf`:'), renderLoggerConf());
  assert.is(blockAfter('`/etc/asterisk/indications.conf`'), renderIndicationsConf());
  assert.is(
    blockAfter('`/etc/asterisk/extensions.conf` (add):'),
    renderExtensionsInclude(DEFAULT_GLOBALS, EXAMPLE_SETTINGS),
  );
  assert.is(
    blockAfter('empty ones are fine:').trim(),
    `touch ${EMPTY_CONFIGS.map((f) => `/etc/asterisk/${f}`).join(' ')}`,
  );
  assert.ok(readme.includes(`useradd ${USERADD_ARGS.join(' ')}`), 'the useradd line the bed runs');
  assert.ok(readme.includes('asterisk -U asterisk -G asterisk'), 'Asterisk runs as the asterisk user, as in the bed');
  assert.ok(readme.includes('scripts/build-asterisk.sh'));
  assert.match(readme, /Debian 12 and 13 have no Asterisk package/);
  assert.not.match(readme, /reads only the\s+first `?\[globals\]/);
  assert.ok(readme.includes('/var/log/asterisk/full'), 'where to look when a test fax does not come back');
});

test("the SIP trunk files in the README are the ones test/sip/ runs faxmail's Asterisk with", () => {
  assert.is(
    blockAfter('`/etc/asterisk/modules.conf` (add to the list above):'),
    PJSIP_MODULES.map((m) => `load => ${m}.so\n`).join(''),
  );
  assert.is(blockAfter('`/etc/asterisk/pjsip.conf`'), renderPjsipTrunk(README_TRUNK));
  assert.is(blockAfter('one line per fax number):'), renderTrunkContext(TRUNK_DIDS));
  const toml = blockAfter("the endpoint's name after the `@`):");
  assert.is(parseConfig(toml, 'README.md', { checkPaths: false }).callfile.channel, 'PJSIP/{number}@trunk');
  for (const key of ['t38_udptl', 't38_udptl_ec', 't38_udptl_maxdatagram', 'fax_detect', 'direct_media'])
    assert.ok(readme.includes(`| \`${key} = `), key);
  assert.match(readme, /What to ask the carrier/);
});

test('the shared voice and fax line in the README is wired as the test bed wires it', () => {
  // The bed's [bed-shared] is renderSharedLine('_X.', its voice destination): the same Gosub line.
  assert.is(
    blockAfter('#### Shared voice and fax lines').trim(),
    renderSharedLine('0312345670', ['Dial(PJSIP/reception,30)', 'VoiceMail(100@default,u)']),
  );
  const template = readFileSync(join(repoRoot, 'asterisk', 'extensions_faxmail.conf'), 'utf8');
  assert.ok(template.includes('\n[faxmail-detect]\n'), 'the template has the context the README names');
  assert.match(template, /^FAXMAIL_DETECT=5$/m);
  assert.ok(readme.includes('`FAXMAIL_DETECT`'));
});

test("the install layout in the README is install.sh's", () => {
  const script = readFileSync(join(repoRoot, 'scripts', 'install.sh'), 'utf8');
  for (const v of [
    'PREFIX',
    'BINDIR',
    'LIBEXECDIR',
    'ETCDIR',
    'SPOOL',
    'OUTGOING',
    'ASTERISK_TMP',
    'LOGDIR',
    'ASTERISK_USER',
    'NODE',
  ]) {
    assert.match(script, new RegExp(`^${v}=\\$\\{${v}:-`, 'm'));
    assert.ok(readme.includes(`\`${v}\``), v);
  }
  assert.ok(readme.includes('/usr/local/libexec/faxmail'));
});

test("the README's relay_domains lines add the fax domain to what Postfix has", () => {
  const lines = readme.split('\n');
  const i = lines.findIndex((l) => l.startsWith('current=$(postconf -hx relay_domains)'));
  assert.ok(i >= 0);
  const command = `${lines[i]}\n${lines[i + 1]}`;
  assert.match(lines[i + 2]!, /^if postfix status >\/dev\/null 2>&1; then postfix reload; else postfix start; fi$/);
  for (const [before, after] of [
    ['', 'fax.yourcompany.jp'],
    ['relay_domains = a.example\n', 'a.example, fax.yourcompany.jp'],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'faxmail-readme-pf-'));
    writeFileSync(join(dir, 'main.cf'), `compatibility_level = 3.6\n${before}`);
    writeFileSync(join(dir, 'master.cf'), '');
    execFileSync('bash', ['-c', command], {
      env: { ...process.env, MAIL_CONFIG: dir, PATH: `${process.env['PATH'] ?? ''}:/usr/sbin` },
    });
    assert.match(
      readFileSync(join(dir, 'main.cf'), 'utf8'),
      new RegExp(`^relay_domains = ${after.replace(/\./g, '\\.')}$`, 'm'),
    );
  }
});

test.run();
