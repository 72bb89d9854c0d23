/*
 * index.ts: the built-in templates by locale. An admin overrides any of them with a file of the same
 * name plus locale in config.paths.templates, e.g. inbound-subject.ja.txt, inbound-body.en.html
 * (see templateFileName in ../render.ts).
 */
import type { Locale } from '../../config/schema.js';
import { en } from './en.js';
import { ja } from './ja.js';

export const TEMPLATE_NAMES = ['inbound-subject', 'inbound-body.txt', 'inbound-body.html', 'empty-receive-subject', 'empty-receive-body.txt'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export type TemplateSet = Record<TemplateName, string>;

export const BUILTIN_TEMPLATES: Readonly<Record<Locale, TemplateSet>> = { en, ja };
