/*
 * run.test.ts: the one runner for external tools (lib/exec/run.ts) and the verdict on a failed run
 * (lib/exec/verdict.ts), with small shell scripts standing in for the tools: argv without a shell, a
 * clean environment, a private empty TMPDIR that is removed afterwards, SIGKILL of the whole process group
 * on a timeout, a deadline, a cancel and a used-up CPU allowance, CPU time measured (a sleeping tool uses
 * none), output bounded, and each kind of ending put in the right class.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolName, type ToolRun } from '../../lib/exec/run.js';
import { createBudget, cpuUsedMs } from '../../lib/exec/budget.js';
import { judge, SIGNAL_BLAME } from '../../lib/exec/verdict.js';
import { parseStatTicks } from '../../lib/exec/cpu.js';
import { figure } from '../helpers/figure.js';
import { waitGone } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'faxmail-exec-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A stand-in tool: a shell script with this body. */
function tool(body: string): string {
  const p = join(dir, `tool-${++n}`);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function scratch(): string {
  return mkdtempSync(join(dir, 'scratch-'));
}

const run = (program: string, more: Partial<ToolRun> = {}): ReturnType<typeof runTool> =>
  runTool({ tool: 'gs', program, args: [], cwd: dir, scratch: more.scratch ?? scratch(), ...more });

test('argv goes to the program as it is: no shell ever sees it', async () => {
  const r = await run(tool('for a in "$@"; do printf "[%s]\\n" "$a"; done'), {
    args: ['$(id)', 'a b', '; rm -rf /', '*'],
  });
  assert.ok(r.ok);
  assert.is(r.stdout, '[$(id)]\n[a b]\n[; rm -rf /]\n[*]\n');
});

test('a clean environment, and a private empty TMPDIR under scratch that is removed afterwards', async () => {
  process.env['FAXMAIL_SECRET_TEST'] = 'leak';
  process.env['GS_OPTIONS'] = '-dNOSAFER';
  const s = scratch();
  const r = await run(tool('env | sort; echo "files: $(ls -A "$TMPDIR" | wc -l)"; touch "$TMPDIR/made"'), {
    scratch: s,
  });
  delete process.env['FAXMAIL_SECRET_TEST'];
  delete process.env['GS_OPTIONS'];
  assert.ok(r.ok, r.stderr);
  const env = Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  // /bin/sh itself adds PWD (and dash nothing else); everything else is ours.
  assert.equal(
    Object.keys(env)
      .filter((k) => k !== 'PWD')
      .sort(),
    ['HOME', 'LC_ALL', 'PATH', 'TEMP', 'TMP', 'TMPDIR'],
  );
  assert.is(env['PATH'], '/usr/bin:/bin');
  assert.is(env['LC_ALL'], 'C');
  const tmp = env['TMPDIR']!;
  assert.ok(tmp.startsWith(`${s}/.tool-tmp-`), `TMPDIR ${tmp} is private, under the scratch dir`);
  assert.is(env['TMP'], tmp);
  assert.is(env['HOME'], tmp);
  assert.match(r.stdout, 'files: 0');
  assert.not.ok(existsSync(tmp), 'the private temp dir is removed after the run');
  assert.equal(readdirSync(s), []);
});

test('extra environment (HOME for LibreOffice) is passed, but cannot replace PATH or TMPDIR', async () => {
  const r = await run(tool('echo "$HOME|$PATH|$TMPDIR"'), {
    env: { HOME: '/some/home', PATH: '/evil', TMPDIR: '/tmp' },
  });
  const [home, path, tmp] = r.stdout.trim().split('|');
  assert.is(home, '/some/home');
  assert.is(path, '/usr/bin:/bin');
  assert.ok(tmp!.includes('.tool-tmp-'));
});

test('a timeout kills the whole process group with SIGKILL, also what the tool started', async () => {
  const pids = join(dir, 'timeout.pids');
  const t0 = performance.now();
  const r = await run(tool(`sleep 30 & echo $! > ${pids}; trap '' TERM; while :; do sleep 1; done`), {
    timeoutMs: 1500, // long enough for the shell to write its pid file on a loaded machine
  });
  figure('timeout 1500 ms: the group killed after', performance.now() - t0);
  assert.not.ok(r.ok);
  assert.is(r.killedBy, 'timeout');
  assert.is(r.signal, 'SIGKILL');
  const child = Number(readFileSync(pids, 'utf8'));
  await waitGone(child, 'the background sleep the tool started');
  assert.equal(judge(r), { kind: 'timeout' });
});

test('a tool that ends normally leaves nothing running in its group', async () => {
  const pids = join(dir, 'leftover.pids');
  const r = await run(tool(`sleep 30 & echo $! > ${pids}; exit 0`));
  assert.ok(r.ok);
  await waitGone(Number(readFileSync(pids, 'utf8')), 'the background sleep of a tool that ended');
});

test('the budget: its deadline kills a running tool (deadline), and no tool starts after it', async () => {
  const b = createBudget(0.3);
  const r = await run(tool('sleep 30'), { budget: b });
  assert.is(r.killedBy, 'deadline');
  assert.equal(judge(r), { kind: 'deadline' });
  const after = await run(tool('echo never'), { budget: b });
  assert.is(after.killedBy, 'deadline');
  assert.is(after.stdout, '');
  b.dispose();
});

test('CPU allowance: a busy tool is killed when the run has used it up; a sleeping tool uses none', async () => {
  const b = createBudget(30, 0.4);
  const t0 = performance.now();
  const busy = await run(tool('while :; do :; done'), { budget: b });
  assert.is(busy.killedBy, 'cpu');
  assert.ok(busy.cpuMs >= 400, `cpu ${busy.cpuMs} ms`);
  figure('CPU budget: the busy loop killed after', performance.now() - t0);
  assert.equal(judge(busy), { kind: 'cpu' });
  // The allowance is shared: the next tool of the same run does not start.
  assert.is((await run(tool('echo x'), { budget: b })).killedBy, 'cpu');
  b.dispose();

  const idle = createBudget(30, 0.4);
  const sleeper = await run(tool('sleep 1; echo done'), { budget: idle });
  assert.ok(sleeper.ok, 'one second of wall time, almost no CPU time: not killed');
  assert.ok(sleeper.wallMs >= 1000);
  assert.ok(sleeper.cpuMs < 200, `cpu ${sleeper.cpuMs} ms`);
  assert.ok(cpuUsedMs(idle) < 200);
  idle.dispose();
});

test('cancel kills the tool (cancelled)', async () => {
  const c = new AbortController();
  setTimeout(() => c.abort(), 200);
  const r = await run(tool('sleep 30'), { cancel: c.signal });
  assert.is(r.killedBy, 'cancel');
  assert.equal(judge(r), { kind: 'cancelled' });
});

test('a program that cannot be started is a result, not an exception', async () => {
  const r = await run(join(dir, 'no-such-tool'));
  assert.not.ok(r.ok);
  assert.is(r.spawnError, 'ENOENT');
  assert.equal(judge(r), { kind: 'not-started', errno: 'ENOENT' });
  const notExec = join(dir, 'not-executable');
  writeFileSync(notExec, 'x');
  assert.is((await run(notExec)).spawnError, 'EACCES');
});

test('output is bounded; the tool is not stopped for talking too much', async () => {
  const r = await run(
    tool('i=0; while [ $i -lt 2000 ]; do echo "line $i of chatter"; i=$((i+1)); done; echo end >&2'),
    { maxOutput: 1000 },
  );
  assert.ok(r.ok);
  assert.is(r.stdout.length, 1000);
  assert.ok(r.truncated);
  assert.is(r.stderr, 'end\n');
});

test(
  'verdicts: a crash signal is the document, SIGKILL from elsewhere and named ' + 'system faults are the server',
  async () => {
    const tools: ToolName[] = ['gs', 'tiffinfo', 'tiff2pdf', 'tiff2rgba', 'tnef'];
    for (const name of tools) {
      for (const [sig, blame] of [
        ['SEGV', 'data'],
        ['ABRT', 'data'],
        ['KILL', 'system'],
        ['TERM', 'system'],
      ] as const) {
        const r = await runTool({
          tool: name,
          program: tool(`kill -${sig} $$`),
          args: [],
          cwd: dir,
          scratch: scratch(),
        });
        assert.is(r.signal, `SIG${sig}`);
        assert.is(r.killedBy, undefined, 'not our kill');
        assert.equal(judge(r), { kind: 'signal', signal: `SIG${sig}`, blame }, `${name} SIG${sig}`);
      }
    }
    // An abort after the OS said it is out of memory is the server's trouble.
    const oom = await run(tool('echo "malloc: Cannot allocate memory" >&2; kill -ABRT $$'));
    assert.equal(judge(oom), { kind: 'signal', signal: 'SIGABRT', blame: 'system' });
    const full = await run(tool('echo "write error: No space left on device" >&2; exit 1'));
    assert.equal(judge(full), { kind: 'exit', exitCode: 1, blame: 'system' });
    const bad = await run(tool('echo "bad input" >&2; exit 1'));
    assert.equal(judge(bad), { kind: 'exit', exitCode: 1, blame: 'data' });
    assert.equal(
      judge(bad, true),
      { kind: 'exit', exitCode: 1, blame: 'system' },
      'a nearly full disk blames the server',
    );
    for (const t of tools) assert.is(SIGNAL_BLAME[t]['SIGSEGV'], 'data');
  },
);

test('our own exit kills tools still running', async () => {
  const pids = join(dir, 'orphan.pids');
  const script = tool(`echo $$ > ${pids}; exec sleep 30`);
  const runner = join(dir, 'runner.mjs');
  const mod = new URL('../../lib/exec/run.js', import.meta.url).href;
  const signals = new URL('../../lib/cli/signals.js', import.meta.url).href;
  // As a program in bin/ does: its handlers kill the tools on exit.
  writeFileSync(
    runner,
    `import { runTool } from '${mod}';\nimport { exitOnTermination } from ` +
      `'${signals}';\nexitOnTermination(75);\nvoid runTool({ tool: 'gs', program: '${script}', args: [], ` +
      `cwd: '${dir}', scratch: '${scratch()}' });\n` +
      // exits once the tool runs (it has written its pid), however long that takes to start
      `import { readFileSync } from 'node:fs';\nsetInterval(() => { try { if (readFileSync('${pids}', 'utf8')` +
      `.endsWith('\\n')) process.exit(75); } catch {} }, 20);\n`,
  );
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [runner], { timeout: 10_000 });
  assert.is(r.status, 75);
  const pid = Number(readFileSync(pids, 'utf8'));
  await waitGone(pid, 'the tool of a runner that died');
});

test('/proc stat parsing copes with a command name holding spaces and parentheses', () => {
  const fields = Array.from({ length: 40 }, (_, i) => String(i + 3));
  // utime (14) = 14, stime (15) = 15, cutime (16) = 16, cstime (17) = 17
  assert.is(parseStatTicks(`123 (we ird) (name) ${fields.join(' ')}`), 14 + 15 + 16 + 17);
  assert.is(parseStatTicks('garbage'), undefined);
});

test.run();
