/*
 * privileges.ts: a faxmail command started as root becomes the owner of the spool (uid, primary group,
 * supplementary groups) before it touches the spool or the log, as Postfix's tools become mail_owner.
 * Otherwise a root-run `faxmail flush` would leave root-owned files (spool/locks/, the log) that the
 * Asterisk user, who runs sendfax and faxmail-notify, can no longer write.
 * A spool owned by root itself is left as it is (root is then its owner). A missing spool, or one owned
 * by a uid with no account, is refused with a sentence saying how to run the command.
 */
import { statSync } from 'node:fs';
import { FaxError } from '../errors.js';
import { lookupUser } from '../accounts.js';

export interface Identity {
  /** did the process switch users */
  switched: boolean;
  /** the user it runs as now (name or uid) */
  user: string;
}

/** Switch to the spool owner when running as root. Call once, before the logger and any spool access. */
export function becomeSpoolOwner(spool: string, program: string): Identity {
  const uid = process.getuid?.();
  if (uid !== 0) return { switched: false, user: String(uid ?? '') };
  let owner: number;
  try {
    owner = statSync(spool).uid;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new FaxError(
      'config',
      `${program} runs as root only to switch to the owner of the spool, and the spool ${spool} cannot be ` +
        `used (${code}): create it with \`make install\` (scripts/install.sh), owned by the Asterisk user, ` +
        `or set paths.spool.`,
      { cause: err },
    );
  }
  if (owner === 0) return { switched: false, user: 'root' };
  const account = lookupUser(owner);
  if (!account) {
    throw new FaxError(
      'config',
      `The spool ${spool} is owned by uid ${owner}, which has no account on this machine: chown -R ` +
        `asterisk:asterisk ${spool}, or run ${program} as the user that should own it.`,
    );
  }
  try {
    // Optional members on non-POSIX platforms; we only get here as root on Linux.
    (process as unknown as { initgroups(user: string, extraGroup: number): void }).initgroups(
      account.name,
      account.gid,
    );
    process.setgid!(account.gid);
    process.setuid!(account.uid);
  } catch (err) {
    throw new FaxError(
      'config',
      `${program} could not switch to ${account.name}, the owner of ${spool} (${(err as Error).message}): run ` +
        `it as that user, e.g. sudo -u ${account.name} ${program} ...`,
      { cause: err },
    );
  }
  return { switched: true, user: account.name };
}

/** Node errno errors on a path: the sentence for an admin, naming the path and the fix. */
export function permissionSentence(err: unknown, program: string, spoolOwner: string): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as NodeJS.ErrnoException;
  if (e.code !== 'EACCES' && e.code !== 'EPERM') return undefined;
  const where = e.path ? ` ${e.path}` : ' the spool';
  return (
    `${program} may not use${where} (${e.code}): run it as root (it then works as the spool owner) or as ` +
    `${spoolOwner}, e.g. sudo -u ${spoolOwner} ${program} ...`
  );
}
