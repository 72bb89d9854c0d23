/*
 * subject-options.ts: per-mail fax options written in the Subject, e.g. "Invoice +fine +body +cover".
 * Input: the decoded Subject. Output: the options found and the Subject without them. Pure; never fails.
 * An option is a separate word (between spaces) starting with '+', matched case-insensitively; full-width
 * forms typed with a Japanese input method ("＋ｆｉｎｅ") count too (NFKC). When options conflict the last
 * one wins, as a person correcting themselves would expect.
 */

export type SubjectResolution = 'standard' | 'fine' | 'superfine';

export interface SubjectOptions {
  resolution?: SubjectResolution;
  /** true: +body (fax the mail text as the first page); false: +nobody */
  body?: boolean;
  /** true: +cover (a cover page first); false: +nocover */
  cover?: boolean;
  /** the Subject with the option words removed and spaces tidied */
  subject: string;
}

const OPTIONS: Readonly<Record<string, (o: SubjectOptions) => void>> = {
  '+standard': (o) => (o.resolution = 'standard'),
  '+fine': (o) => (o.resolution = 'fine'),
  '+superfine': (o) => (o.resolution = 'superfine'),
  '+body': (o) => (o.body = true),
  '+nobody': (o) => (o.body = false),
  '+cover': (o) => (o.cover = true),
  '+nocover': (o) => (o.cover = false),
};

/**
 * Find +fine/+standard/+superfine/+body/+nobody/+cover/+nocover in a Subject and return them with the cleaned Subject.
 */
export function parseSubjectOptions(subject: string): SubjectOptions {
  const out: SubjectOptions = { subject: '' };
  const kept: string[] = [];
  for (const word of subject.split(/\s+/)) {
    if (word === '') continue;
    const apply = OPTIONS[word.normalize('NFKC').toLowerCase()];
    if (apply) apply(out);
    else kept.push(word);
  }
  out.subject = kept.join(' ');
  return out;
}
