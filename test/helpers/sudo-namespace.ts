/*
 * sudo-namespace.ts: run a command as another user with the real sudo and a sudo configuration of the test's
 * choosing, without touching the machine's: in a private mount namespace (unshare -m, propagation private)
 * a temp directory is bind-mounted over /etc/sudoers.d (the faxmail rule scripts/install.sh wrote, or
 * none) and, when asked, a copy of /etc/group with extra groups over /etc/group; then setpriv becomes the
 * user with the supplementary groups that group file gives it (initgroups). Everything started inside,
 * sudo and what sudo runs, sees the same files; the rest of the machine sees nothing.
 * The sudo configuration always gets a file that keeps sudo from mailing root about refused users
 * (sudo would hand such mail to the machine's own sendmail). Needs root, util-linux and sudo.
 */
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';

export interface NamespaceRun {
  /** user and primary group names to become */
  user: string;
  group: string;
  /** the sudoers rule files to put in /etc/sudoers.d (copied), e.g. the one install.sh wrote */
  sudoers: string[];
  /** extra /etc/group lines, e.g. "faxsend:x:64990:nobody" */
  groups?: string[];
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

const QUIET =
  "# faxmail tests: no mail to root about refused users (it would go to the machine's sendmail)\nDefaults " +
  '!mail_no_user, !mail_badpass, !mail_no_host, !mail_no_perms\n';

/** Run `argv` as `user` inside a private mount namespace with the given sudo rules and groups. */
export async function runInSudoNamespace(o: NamespaceRun): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'faxmail-sudo-ns-'));
  try {
    const sudoersDir = join(dir, 'sudoers.d');
    await execa('mkdir', ['-m', '0755', sudoersDir]);
    writeFileSync(join(sudoersDir, '00-faxmail-test'), QUIET, { mode: 0o440 });
    for (const f of o.sudoers) {
      const dest = join(sudoersDir, f.split('/').pop()!);
      copyFileSync(f, dest);
      chmodSync(dest, 0o440);
    }
    const groupFile = join(dir, 'group');
    writeFileSync(
      groupFile,
      readFileSync('/etc/group', 'utf8').replace(/\n?$/, '\n') + (o.groups ?? []).map((g) => `${g}\n`).join(''),
    );
    chmodSync(groupFile, 0o644);
    chmodSync(dir, 0o755);
    const script =
      'u=$3; g=$4; mount --bind "$1" /etc/sudoers.d && mount --bind "$2" /etc/group && shift 4 && exec ' +
      'setpriv --reuid="$u" --regid="$g" --init-groups -- "$@"';
    return await execa(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        script,
        'sh',
        sudoersDir,
        groupFile,
        o.user,
        o.group,
        ...o.argv,
      ],
      {
        reject: false,
        stdin: 'ignore',
        cwd: o.cwd ?? '/',
        env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8', ...o.env },
        extendEnv: false,
        timeout: o.timeoutMs ?? 300_000,
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
