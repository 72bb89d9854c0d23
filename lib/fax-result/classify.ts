/*
 * classify.ts: turn what the dialplan reports into an outcome. Pure.
 * Inputs: FAXOPT(status) and FAXOPT(error) as the dialplan passes them (the error FILTERed to [A-Za-z0-9],
 * because its spaces and commas cannot cross System() safely), or ${REASON} for an unanswered call.
 * The filtered key is mapped back to the full spandsp or res_fax text by normalising every known text the
 * same way (t30-table.ts is generated from libspandsp, so the texts are exact). Unknown keys fall back to
 * class 'unknown' and keep the key as the text. Never throws.
 * Success is FAXOPT(status)=SUCCESS and nothing else: the sending leg reports error=HANGUP even on success.
 */
import type { Locale, RetryClass } from '../config/schema.js';
import {
  T30_CATALOG,
  RES_FAX_CATALOG,
  RES_FAX_CODES,
  REASON_CATALOG,
  FALLBACK_ENTRY,
  ANSWERED_NO_FAX,
  type CatalogEntry,
  type Explanation,
} from './catalog.js';
import { T30_COMPLETIONS } from './t30-table.js';

export interface Outcome {
  success: boolean;
  /** retry class; '' on success */
  class: RetryClass | '';
  /** the full original text (spandsp string, res_fax code, or a short text for ${REASON}); '' if none */
  error: string;
  /** where the text comes from */
  source: 't30' | 'res_fax' | 'reason' | 'none' | 'unknown';
  /** T30_ERR_* name, res_fax code or REASON_<n> */
  code: string;
  entry: CatalogEntry;
}

/** The dialplan's normalisation: FILTER(A-Za-z0-9,...) keeps letters and digits only. */
export function errorKey(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '');
}

interface KnownError {
  text: string;
  source: 't30' | 'res_fax';
  code: string;
  entry: CatalogEntry;
}

let index: Map<string, KnownError> | undefined;

/** key (exact and lower-cased) -> known error; res_fax codes win over T.30 texts on a clash. */
function knownErrors(): Map<string, KnownError> {
  if (index) return index;
  const map = new Map<string, KnownError>();
  const add = (k: KnownError): void => {
    map.set(errorKey(k.text), k);
    if (!map.has(errorKey(k.text).toLowerCase())) map.set(errorKey(k.text).toLowerCase(), k);
  };
  for (const row of T30_COMPLETIONS)
    add({ text: row.text, source: 't30', code: row.name, entry: T30_CATALOG[row.name] ?? FALLBACK_ENTRY });
  for (const code of RES_FAX_CODES) add({ text: code, source: 'res_fax', code, entry: RES_FAX_CATALOG[code] });
  index = map;
  return map;
}

/** Map a filtered error key (or a full text) back to the known error it came from. */
export function lookupError(key: string): KnownError | undefined {
  const k = errorKey(key);
  if (k === '') return undefined;
  const map = knownErrors();
  return map.get(k) ?? map.get(k.toLowerCase());
}

/** Outcome of an answered call (SendFAX finished). */
export function classifySent(status: string, errKey: string): Outcome {
  const known = lookupError(errKey);
  const error = known?.text ?? errorKey(errKey);
  if (status === 'SUCCESS') {
    return {
      success: true,
      class: '',
      error,
      source: known ? known.source : error ? 'unknown' : 'none',
      code: known?.code ?? '',
      entry: known?.entry ?? FALLBACK_ENTRY,
    };
  }
  if (!known)
    return {
      success: false,
      class: FALLBACK_ENTRY.class,
      error,
      source: error ? 'unknown' : 'none',
      code: '',
      entry: FALLBACK_ENTRY,
    };
  return {
    success: false,
    class: known.entry.class,
    error: known.text,
    source: known.source,
    code: known.code,
    entry: known.entry,
  };
}

const REASON_TEXT: Readonly<Record<number, string>> = {
  0: 'Call failed',
  1: 'Hung up before answer',
  3: 'No answer',
  5: 'Busy',
  8: 'Congestion',
};

/** Outcome of a call that was never answered (${REASON} from the call file's failed extension). */
export function classifyUnanswered(reason: number): Outcome {
  const entry = REASON_CATALOG[reason] ?? FALLBACK_ENTRY;
  const error = REASON_TEXT[reason] ?? `Call not answered (reason ${reason})`;
  return { success: false, class: entry.class, error, source: 'reason', code: `REASON_${reason}`, entry };
}

/** Explanation of an outcome in the receipt's language. */
export function explain(entry: CatalogEntry, locale: Locale): Explanation {
  return entry[locale];
}

/** Catalogue entry for a recorded attempt (its stored text, reason, pages and station id), for receipts. */
export function entryForAttempt(attempt: {
  status: string;
  error: string;
  reason?: number;
  pages?: number;
  remoteStationId?: string;
}): CatalogEntry {
  if (attempt.status === 'UNANSWERED' && attempt.reason !== undefined)
    return REASON_CATALOG[attempt.reason] ?? FALLBACK_ENTRY;
  const entry = lookupError(attempt.error)?.entry ?? FALLBACK_ENTRY;
  // A drop with no page and no station id: nobody's fax machine was on the line.
  if (attempt.status === 'FAILED' && entry.class === 'dropped' && !attempt.pages && !attempt.remoteStationId)
    return ANSWERED_NO_FAX;
  return entry;
}
