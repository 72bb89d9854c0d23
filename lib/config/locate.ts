/*
 * locate.ts: where in a TOML text each key and list element is written, so a configuration problem can be
 * reported as file:line:column. Pure. Only called when there is something to report: the values themselves
 * come from smol-toml; this scanner only follows the structure (tables, arrays of tables, dotted keys,
 * inline tables, arrays, the four string forms, comments) far enough to note positions. It never fails:
 * text it does not understand is skipped, and a key it did not see falls back to its nearest parent.
 */

export interface Position {
  line: number;
  column: number;
}

type Path = readonly (string | number)[];

const pathKey = (p: Path): string => JSON.stringify(p.map(String));

/** Positions of every key path seen in `text` (1-based line and column). */
export function locateKeys(text: string): Map<string, Position> {
  const found = new Map<string, Position>();
  const arrayCounts = new Map<string, number>();
  let i = 0;
  let line = 1;
  let lineStart = 0;

  const pos = (at: number): Position => ({ line, column: at - lineStart + 1 });
  const note = (p: Path, at: Position) => {
    const k = pathKey(p);
    if (!found.has(k)) found.set(k, at);
  };
  const peek = (n = 0) => text[i + n] ?? '';
  const newline = () => {
    line++;
    lineStart = i + 1;
  };
  const skipSpaces = () => {
    while (peek() === ' ' || peek() === '\t') i++;
  };
  const skipComment = () => {
    if (peek() === '#') while (i < text.length && peek() !== '\n') i++;
  };
  /** spaces, comments and newlines (inside arrays and between statements) */
  const skipBlank = () => {
    for (;;) {
      skipSpaces();
      skipComment();
      if (peek() === '\r') i++;
      else if (peek() === '\n') {
        newline();
        i++;
      } else return;
    }
  };

  function readString(): string {
    const q = peek();
    const triple = peek(1) === q && peek(2) === q;
    if (triple) {
      i += 3;
      let out = '';
      while (i < text.length && !(peek() === q && peek(1) === q && peek(2) === q)) {
        if (q === '"' && peek() === '\\') {
          out += peek() + peek(1);
          i += 2;
          continue;
        }
        if (peek() === '\n') newline();
        out += peek();
        i++;
      }
      i += 3;
      while (peek() === q) i++; // up to two quotes may end the content
      return out;
    }
    i++;
    let out = '';
    while (i < text.length && peek() !== q && peek() !== '\n') {
      if (q === '"' && peek() === '\\') {
        const e = peek(1);
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
        i += 2;
        continue;
      }
      out += peek();
      i++;
    }
    if (peek() === q) i++;
    return out;
  }

  /** a dotted key: bare or quoted parts */
  function readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      if (peek() === '"' || peek() === "'") parts.push(readString());
      else {
        const m = /^[A-Za-z0-9_-]+/.exec(text.slice(i, i + 200));
        if (!m) return parts;
        parts.push(m[0]);
        i += m[0].length;
      }
      skipSpaces();
      if (peek() !== '.') return parts;
      i++;
    }
  }

  function readValue(p: Path): void {
    skipSpaces();
    const c = peek();
    if (c === '"' || c === "'") {
      readString();
      return;
    }
    if (c === '[') {
      i++;
      let n = 0;
      for (;;) {
        skipBlank();
        if (peek() === ']' || i >= text.length) {
          i++;
          return;
        }
        if (peek() === ',') {
          i++;
          continue;
        }
        note([...p, n], pos(i));
        const before = i;
        readValue([...p, n]);
        n++;
        if (i === before) i++;
      }
    }
    if (c === '{') {
      i++;
      for (;;) {
        skipSpaces();
        if (peek() === '}' || peek() === '\n' || i >= text.length) {
          if (peek() === '}') i++;
          return;
        }
        if (peek() === ',') {
          i++;
          continue;
        }
        const at = pos(i);
        const key = readKey();
        if (key.length === 0) {
          i++;
          continue;
        }
        note([...p, ...key], at);
        skipSpaces();
        if (peek() === '=') i++;
        readValue([...p, ...key]);
      }
    }
    // A scalar: up to the end of the value.
    while (i < text.length && !/[,\]}\n#]/.test(peek())) i++;
  }

  let table: Path = [];
  while (i < text.length) {
    skipBlank();
    if (i >= text.length) break;
    const at = pos(i);
    if (peek() === '[') {
      const isArray = peek(1) === '[';
      i += isArray ? 2 : 1;
      const key = readKey();
      i += isArray ? 2 : 1;
      if (isArray) {
        const k = pathKey(key);
        const n = arrayCounts.get(k) ?? 0;
        arrayCounts.set(k, n + 1);
        note(key, at);
        table = [...key, n];
      } else table = key;
      note(table, at);
    } else {
      const key = readKey();
      if (key.length === 0) {
        // Not something we understand: skip the line.
        while (i < text.length && peek() !== '\n') i++;
        continue;
      }
      note([...table, ...key], at);
      skipSpaces();
      if (peek() === '=') i++;
      readValue([...table, ...key]);
    }
    skipSpaces();
    skipComment();
  }
  return found;
}

/** The position of `path`, or of its nearest written parent; undefined if none of it is in the text. */
export function findPosition(positions: Map<string, Position>, path: Path): Position | undefined {
  for (let n = path.length; n > 0; n--) {
    const p = positions.get(pathKey(path.slice(0, n)));
    if (p) return p;
  }
  return undefined;
}
