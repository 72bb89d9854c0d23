/*
 * countries.ts: built-in number policies per country (numbers.country), as data. Each plan says how
 * numbers in international form become national ones (dial rules), which national numbers may be dialled
 * (allow), and which prefixes are refused until the admin allows them (deny): premium-rate and other
 * charged services, and international calls. Facts from the public national numbering plans (MIC Japan,
 * NANPA, Ofcom, Bundesnetzagentur, ARCEP); the README lists the same table.
 * The numbers checked are the rewritten, normalised ones (digits, national format), see number.ts.
 * Pure data and two pure functions; the config loader applies a plan to the keys the admin did not set.
 */
import type { RewriteRule } from '../config/schema.js';

export interface DeniedPrefix {
  /** regular expression on the rewritten number */
  pattern: string;
  /** what the prefix is, for the README and check-config */
  what: string;
}

export interface CountryPlan {
  name: string;
  rewrite: RewriteRule[];
  allow: string[];
  deny: DeniedPrefix[];
}

/** NANP countries in the Caribbean and the Atlantic: dialled like US numbers, charged as international calls. */
const NANP_ABROAD = '242|246|264|268|284|345|441|473|649|658|664|721|758|767|784|809|829|849|868|869|876';

const NANP: CountryPlan = {
  name: 'United States and Canada (NANP)',
  rewrite: [
    { match: '^\\+1', replace: '1' },
    { match: '^\\+', replace: '011' },
  ],
  allow: ['^1?[2-9][0-9]{2}[2-9][0-9]{6}$'],
  deny: [
    { pattern: '^0', what: 'operator-assisted and international calls (0, 011)' },
    { pattern: '^1?900', what: 'premium rate (900 numbers)' },
    { pattern: '^1?[2-9][0-9]{2}976', what: 'premium local information services (976 exchanges)' },
    { pattern: `^1?(?:${NANP_ABROAD})`, what: 'Caribbean and Atlantic NANP countries, charged as international calls' },
  ],
};

export const COUNTRY_PLANS: Readonly<Record<string, CountryPlan>> = Object.freeze({
  JP: {
    name: 'Japan',
    rewrite: [
      { match: '^\\+81', replace: '0' },
      { match: '^\\+', replace: '010' },
    ],
    allow: ['^0[1-9][0-9]{8,9}$'],
    deny: [
      { pattern: '^00', what: 'carrier selection codes (00XY), also for international calls' },
      { pattern: '^010', what: 'international calls' },
      { pattern: '^0990', what: 'premium rate (Dial Q2 information charges)' },
      { pattern: '^0180', what: 'telephone voting and mass-calling services' },
      { pattern: '^0570', what: 'Navi Dial (caller pays a higher shared-cost rate)' },
      { pattern: '^0[789]0', what: 'mobile phones (070, 080, 090): no fax machine there, higher rates' },
      { pattern: '^020', what: 'pagers and M2M numbers' },
    ],
  },
  US: NANP,
  CA: NANP,
  GB: {
    name: 'United Kingdom',
    rewrite: [
      { match: '^\\+44', replace: '0' },
      { match: '^\\+', replace: '00' },
    ],
    allow: ['^0[1-9][0-9]{8,9}$'],
    deny: [
      { pattern: '^00', what: 'international calls' },
      { pattern: '^09', what: 'premium rate (090, 091, 098)' },
      { pattern: '^087', what: 'service numbers with a service charge (0871-0873 are premium rate)' },
      { pattern: '^084', what: 'service numbers with a service charge' },
      { pattern: '^070', what: 'personal numbers: look like mobiles, charged up to premium rates' },
      { pattern: '^076(?!24)', what: 'pagers (07624, Isle of Man mobiles, excepted)' },
      { pattern: '^118', what: 'directory enquiries' },
    ],
  },
  DE: {
    name: 'Germany',
    rewrite: [
      { match: '^\\+49', replace: '0' },
      { match: '^\\+', replace: '00' },
    ],
    allow: ['^0[1-9][0-9]{3,13}$'],
    deny: [
      { pattern: '^00', what: 'international calls' },
      { pattern: '^010', what: 'call-by-call carrier selection (010xx)' },
      { pattern: '^0900', what: 'premium rate (Premium-Dienste)' },
      { pattern: '^0137', what: 'televoting and mass calling (Massenverkehrsdienste)' },
      { pattern: '^0180', what: 'shared-cost service numbers (Service-Dienste)' },
      { pattern: '^019', what: 'former premium rate (0190) and online services' },
      { pattern: '^018[1-9]', what: 'closed user groups (VPN services)' },
      { pattern: '^012', what: 'innovative services, charged as the provider likes' },
      { pattern: '^0700', what: 'personal numbers' },
      { pattern: '^118', what: 'directory enquiries' },
    ],
  },
  FR: {
    name: 'France',
    rewrite: [
      { match: '^\\+33', replace: '0' },
      { match: '^\\+', replace: '00' },
    ],
    allow: ['^0[1-9][0-9]{8}$'],
    deny: [
      { pattern: '^00', what: 'international calls' },
      { pattern: '^08[12]', what: 'service numbers with a surcharge (081, 082)' },
      { pattern: '^089', what: 'premium rate (089)' },
      { pattern: '^118', what: 'directory enquiries' },
      { pattern: '^3', what: 'four-digit service numbers (3xxx)' },
    ],
  },
});

/** Accepted spellings of numbers.country besides the plan keys. */
const COUNTRY_ALIASES: Readonly<Record<string, string>> = Object.freeze({ UK: 'GB' });

/** The values numbers.country accepts ('' = no country: the generic patterns). */
export const COUNTRY_CODES: readonly string[] = ['', ...Object.keys(COUNTRY_PLANS), ...Object.keys(COUNTRY_ALIASES)];

/** The plan for a numbers.country value, or undefined for ''. */
export function countryPlan(code: string): CountryPlan | undefined {
  const key = code.toUpperCase();
  return COUNTRY_PLANS[COUNTRY_ALIASES[key] ?? key];
}

export interface NumberPatterns {
  country: string;
  rewrite: readonly RewriteRule[];
  allow: readonly string[];
  deny: readonly string[];
}

/**
 * One line per rule for check-config: where each pattern came from and what a denied prefix is. Pure.
 * With `explicit` (the keys set in the file) the source is exact: your setting, the country's default or the
 * generic default; without it, a key equal to the country's default is taken to be that.
 */
export function describeNumberPolicy(n: NumberPatterns, explicit?: ReadonlySet<string>): string[] {
  const plan = countryPlan(n.country);
  const same = (a: readonly unknown[], b: readonly unknown[]): boolean => JSON.stringify(a) === JSON.stringify(b);
  const source = (key: 'rewrite' | 'allow' | 'deny', fromPlan: boolean): string => {
    if (explicit)
      return explicit.has(`numbers.${key}`)
        ? 'your setting'
        : plan
          ? `${n.country.toUpperCase()} default`
          : 'generic default';
    return fromPlan && plan ? `${n.country.toUpperCase()} default` : 'your setting or the generic default';
  };
  const rewriteFromPlan = plan !== undefined && same(n.rewrite, plan.rewrite);
  const allowFromPlan = plan !== undefined && same(n.allow, plan.allow);
  const denyFromPlan =
    plan !== undefined &&
    same(
      n.deny,
      plan.deny.map((d) => d.pattern),
    );
  const out = [
    `numbers: ` +
      (plan
        ? `country ${n.country.toUpperCase()} (${plan.name})`
        : 'no country set (numbers.country): generic patterns; set your country for its premium-rate list'),
  ];
  out.push(`  rewrite (${source('rewrite', rewriteFromPlan)}):${n.rewrite.length === 0 ? ' none' : ''}`);
  for (const r of n.rewrite) out.push(`    ${r.match} -> ${r.replace === '' ? '(nothing)' : r.replace}`);
  out.push(`  allow (${source('allow', allowFromPlan)}):`);
  for (const a of n.allow) out.push(`    ${a}`);
  out.push(`  deny (${source('deny', denyFromPlan)}):${n.deny.length === 0 ? ' none' : ''}`);
  for (const d of n.deny) {
    const what = plan?.deny.find((p) => p.pattern === d)?.what;
    out.push(`    ${d}${what ? `   ${what}` : ''}`);
  }
  return out;
}
