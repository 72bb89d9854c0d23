/*
 * number.ts: from the address extension to the number that is dialled. Pure.
 * 1. normalise: drop spaces, dashes, dots and brackets; a leading + is kept; then digits only.
 * 2. rewrite: the first dial rule whose pattern matches rewrites the number (e.g. ^\+81 -> 0).
 * 3. check: digit count, then deny patterns, then allow patterns, all on the rewritten number.
 * Syntax problems are 'bad-number' (exit 67); policy refusals are 'number-refused' (exit 77).
 */
import { FaxError } from '../errors.js';
import type { RewriteRule } from '../config/schema.js';

export interface NumberPolicy {
  rewrite: readonly RewriteRule[];
  allow: readonly string[];
  deny: readonly string[];
  min_digits: number;
  max_digits: number;
}

export interface Destination {
  /** what the sender wrote, cleaned of separators */
  requested: string;
  /** what will be dialled: digits, perhaps a leading + */
  number: string;
  /** the rule that rewrote it, if any */
  rule?: string;
}

const SEPARATORS = /[ \-.()[\]]/g;

/** Normalise the extension; throws 'bad-number' if it is not a phone number. */
export function normalizeNumber(extension: string): string {
  const shown = extension.replace(/[^\x20-\x7e]/g, '?').slice(0, 40);
  const cleaned = extension.replace(SEPARATORS, '');
  if (cleaned === '') {
    throw new FaxError(
      'bad-number',
      'The fax address has no number in it: write it as fax+NUMBER@ this domain, for example fax+0312345678@.',
    );
  }
  if (!/^\+?[0-9]+$/.test(cleaned)) {
    throw new FaxError(
      'bad-number',
      `"${shown}" is not a fax number: use digits only (spaces, dashes, dots, brackets and a leading + are allowed).`,
    );
  }
  return cleaned;
}

/** Apply the first matching dial rule. */
export function rewriteNumber(number: string, rules: readonly RewriteRule[]): { number: string; rule?: string } {
  for (const rule of rules) {
    const re = new RegExp(rule.match);
    if (re.test(number)) return { number: number.replace(re, rule.replace), rule: rule.match };
  }
  return { number };
}

/** The whole path from extension to a dialable, permitted number. */
export function resolveDestination(extension: string, policy: NumberPolicy): Destination {
  const requested = normalizeNumber(extension);
  const rewritten = rewriteNumber(requested, policy.rewrite);
  const number = rewritten.number;
  if (!/^\+?[0-9]+$/.test(number)) {
    // A dial rule produced something undialable: the admin's rule is wrong, but the mail still cannot go.
    throw new FaxError(
      'bad-number',
      `The fax number ${requested} cannot be dialled after this server's dial rules (got "${number.slice(0, 40)}").`,
    );
  }
  const digits = number.replace('+', '').length;
  if (digits < policy.min_digits)
    throw new FaxError(
      'bad-number',
      `The fax number ${requested} is too short (${digits} digits; at least ${policy.min_digits} needed).`,
    );
  if (digits > policy.max_digits)
    throw new FaxError(
      'bad-number',
      `The fax number ${requested} is too long (${digits} digits; at most ${policy.max_digits} allowed).`,
    );
  for (const pattern of policy.deny) {
    if (new RegExp(pattern).test(number)) {
      throw new FaxError(
        'number-refused',
        `Faxes to ${requested} are not allowed from this server (the number is blocked by policy).`,
        { detail: { pattern } },
      );
    }
  }
  if (!policy.allow.some((pattern) => new RegExp(pattern).test(number))) {
    throw new FaxError(
      'number-refused',
      `Faxes to ${requested} are not allowed from this server (the number is outside the permitted range).`,
    );
  }
  const result: Destination = { requested, number };
  if (rewritten.rule !== undefined) result.rule = rewritten.rule;
  return result;
}
