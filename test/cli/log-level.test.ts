/* [log] level decides which lines reach the log, in the commands themselves. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { binPath } from '../helpers/paths.js';
import { makeTempInstall, renderTestConfig, directoryMail } from '../helpers/test-config.js';

for (const [level, expectInfo] of [
  ['info', true],
  ['warn', false],
] as const) {
  test(`log.level = "${level}": info lines are ${expectInfo ? '' : 'not '}written`, async () => {
    const inst = makeTempInstall('faxmail-loglevel-');
    writeFileSync(
      inst.configPath,
      renderTestConfig(inst, {
        sections: [
          ['log', `level = "${level}"`],
          ['mail', directoryMail(inst)],
        ],
      }),
    );
    for (const [program, args] of [
      ['faxmail', ['cleanup']],
      ['faxmail-notify', ['flush']],
    ] as const) {
      const r = await execa(process.execPath, [binPath(program), ...args, '--config', inst.configPath], {
        reject: false,
        stdin: 'ignore',
      });
      assert.is(r.exitCode, 0, r.stderr);
    }
    const lines = existsSync(inst.log) ? readFileSync(inst.log, 'utf8').split('\n').filter(Boolean) : [];
    const info = lines.filter((l) => (JSON.parse(l) as { level: number }).level === 30);
    assert.is(info.length > 0, expectInfo, lines.join('\n'));
    rmSync(inst.root, { recursive: true, force: true });
  });
}

test.run();
