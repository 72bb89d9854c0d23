/*
 * layers.ts: the layers of lib/, lowest first; within a layer, modules in rank order too. A lib/ module (a
 * directory, or a top-level file) may import only modules ranked below it: test/layers.test.ts checks every
 * import, test/readme.test.ts that the README lists the same layers.
 */
export const LAYERS: readonly { name: string; modules: readonly string[] }[] = [
  {
    name: 'ground',
    modules: [
      'sysexits',
      'text',
      'errors',
      'accounts',
      'log',
      'fsutil',
      'time',
      'mailbox',
      'exec',
      'tiff',
      'fax-result',
    ],
  },
  { name: 'shared', modules: ['policy', 'spool', 'asterisk', 'mail', 'archive', 'config'] },
  {
    name: 'features',
    modules: ['mime', 'documents', 'convert', 'inbound', 'notify', 'queue', 'sendfax', 'admin', 'cli'],
  },
];
