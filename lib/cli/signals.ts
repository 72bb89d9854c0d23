/*
 * signals.ts: what a faxmail program does when told to stop (SIGTERM, SIGINT, SIGHUP), installed by the
 * programs in bin/ only, each with its own exit status: remove the scratch files and half-built job
 * directories (lib/fsutil/atomic.ts), kill the tools still running (lib/exec/run.ts), exit. Tools are killed
 * on any exit too, so nothing a run started outlives it. Postfix's postdrop keeps its handlers the same way.
 * The one lib/ module allowed process-wide handlers and process.exit (test/process-state.test.ts).
 */
import { removeScratchFiles } from '../fsutil/atomic.js';
import { killRunningTools } from '../exec/run.js';

type StopSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
/** Signals a caller has diverted (divertStop), with how many callers hold each. */
const diverted = new Map<StopSignal, number>();

/** Install the handlers; `status` is the exit status after a signal (75 for sendfax: Postfix defers). */
export function exitOnTermination(status: number): void {
  process.on('exit', killRunningTools);
  for (const sig of STOP_SIGNALS) {
    process.on(sig, () => {
      if ((diverted.get(sig) ?? 0) > 0) return;
      removeScratchFiles();
      process.exit(status);
    });
  }
}

/**
 * Until the returned function is called, `signals` call `onStop` instead of ending the program: `faxmail
 * send --wait` stops waiting (the fax goes on), and while `faxmail send` waits for the process it delegated
 * to (same terminal, so that one gets the Ctrl-C too and reports), this side only waits for its answer.
 */
export function divertStop(signals: readonly StopSignal[], onStop: () => void): () => void {
  for (const sig of signals) {
    diverted.set(sig, (diverted.get(sig) ?? 0) + 1);
    process.on(sig, onStop);
  }
  return () => {
    for (const sig of signals) {
      diverted.set(sig, (diverted.get(sig) ?? 1) - 1);
      process.removeListener(sig, onStop);
    }
  };
}
