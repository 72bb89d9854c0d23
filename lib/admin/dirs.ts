/*
 * dirs.ts: do the directories faxmail and Asterisk write exist, and does the Asterisk user own them?
 * scripts/install.sh creates them all (the spool with jobs/ inbound/ outbox/ locks/ lines/, Asterisk's
 * outgoing dir, the call-file tmp dir, the log dir); a missing inbound/ loses the first received faxes
 * (ReceiveFAX cannot write, nobody is told). `faxmail check-config` reports what is wrong.
 * Reads only; never throws for a missing or odd directory (that is what it reports).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { resolveId } from '../asterisk/queue.js';
import { spoolDirs, spoolPaths } from '../spool/jobs.js';

export interface DirProblem {
  dir: string;
  problem: string;
}

/** The directories to check, with what each is for. */
export function writtenDirs(config: Readonly<Config>): { dir: string; what: string }[] {
  const paths = spoolPaths(config.paths.spool);
  const out = [
    { dir: paths.root, what: 'the spool (paths.spool)' },
    ...spoolDirs(paths).map((d) => ({ dir: d, what: `the spool's ${d.slice(paths.root.length + 1)}/` })),
    { dir: config.paths.outgoing, what: "Asterisk's outgoing dir (paths.outgoing)" },
    { dir: config.paths.tmp, what: 'the call-file tmp dir (paths.tmp)' },
  ];
  if (config.paths.log !== '-') out.push({ dir: dirname(config.paths.log), what: 'the log dir (paths.log)' });
  return out;
}

/** Problems with the directories faxmail and Asterisk write; [] when all is well. */
export async function checkWrittenDirs(config: Readonly<Config>): Promise<DirProblem[]> {
  const problems: DirProblem[] = [];
  let owner: number | undefined;
  try {
    owner = await resolveId('passwd', config.callfile.owner);
  } catch {
    problems.push({ dir: '', problem: `there is no user "${config.callfile.owner}" (callfile.owner) on this machine` });
  }
  for (const { dir, what } of writtenDirs(config)) {
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) problems.push({ dir, problem: `${what} is not a directory` });
      else if (owner !== undefined && st.uid !== owner) problems.push({ dir, problem: `${what} is not owned by ${config.callfile.owner}, who writes it` });
    } catch {
      problems.push({ dir, problem: `${what} does not exist: run "make install" (scripts/install.sh) again` });
    }
  }
  return problems;
}
