/*
 * builtin-templates.ts: the built-in templates precompiled, or undefined. Here (tsc output: tests, the admin
 * CLI) it is undefined and template.ts compiles the files. scripts/bundle.mjs replaces this module in the
 * sendfax and faxmail-notify bundles with every file of templates/ precompiled by Handlebars, so a run that
 * writes a mail loads only Handlebars' runtime: compiling costs about 40 ms of CPU per run (bench/).
 * Keys: "template:<file>" (loadTemplate: .html, cover) and "mail:<file>" (loadMailText: Subject and body).
 */
export const PRECOMPILED: Readonly<Record<string, unknown>> | undefined = undefined;
