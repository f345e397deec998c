/**
 * Texts assembled from YAML scalars (appends, exceptions, list substitution) that still know where
 * each character came from. Positions are "global offsets": file `i` occupies
 * `[base_i, base_i + text.length]`. Scalar maps are computed lazily, only when a finding needs one.
 */
import { LineCounter, type Scalar } from "yaml";
import type { SourceLocation } from "../model.ts";

export interface SourceFile {
  readonly path: string;
  readonly text: string;
  readonly base: number;
}

/** The line starts of `text` as the `yaml` parser records them (after every LF). */
export function lineCounterOf(text: string): LineCounter {
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) {
    lineCounter.addNewLine(index + 1);
  }
  return lineCounter;
}

export class SourceFiles {
  readonly files: SourceFile[] = [];
  // Line positions are needed only for findings and locations asked for: counted on first use.
  private readonly lineCounters = new Map<SourceFile, LineCounter>();
  private nextBase = 0;

  add(path: string, text: string): SourceFile {
    const file: SourceFile = { path, text, base: this.nextBase };
    this.nextBase += text.length + 1;
    this.files.push(file);
    return file;
  }

  /** Index of the file holding `global`, or -1 (upstream index context, unknown). */
  fileIndex(global: number): number {
    if (global < 0) return -1;
    for (let i = this.files.length - 1; i >= 0; i--) {
      if (global >= (this.files[i] as SourceFile).base) return i;
    }
    return -1;
  }

  locate(global: number): SourceLocation | undefined {
    if (global < 0) return undefined;
    let low = 0;
    let high = this.files.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const file = this.files[mid] as SourceFile;
      if (global < file.base) high = mid - 1;
      else if (global > file.base + file.text.length) low = mid + 1;
      else {
        let lineCounter = this.lineCounters.get(file);
        if (!lineCounter) {
          lineCounter = lineCounterOf(file.text);
          this.lineCounters.set(file, lineCounter);
        }
        const { line, col } = lineCounter.linePos(global - file.base);
        return { file: file.path, line, col };
      }
    }
    return undefined;
  }
}

/**
 * A scalar's parsed value and where it sits in its file. It keeps the node's range, not the node,
 * so a file's YAML tree can be collected once its items are read.
 */
export class ScalarSource {
  private map: Int32Array | undefined;
  private readonly range: readonly [number, number];

  /** `docStart`: where the YAML document holding `node` starts in the file. */
  constructor(
    readonly file: SourceFile,
    node: Scalar,
    readonly value: string,
    docStart = 0,
  ) {
    this.range = [docStart + (node.range?.[0] ?? 0), docStart + (node.range?.[1] ?? 0)];
  }

  /** Global offset of the node's first character. */
  get start(): number {
    return this.file.base + this.range[0];
  }

  /** Global offset of the source character the value's character `index` was read from. */
  globalOffset(index: number): number {
    this.map ??= alignScalar(this.file.text, this.range, this.value);
    const clamped = Math.min(Math.max(index, 0), this.map.length - 1);
    return this.file.base + (this.map.length === 0 ? this.range[0] : (this.map[clamped] as number));
  }
}

/**
 * Maps each character of a scalar's value to the source character it came from. Double-quoted
 * scalars are decoded escape by escape; other scalars are aligned by matching.
 */
function alignScalar(text: string, range: readonly [number, number], value: string): Int32Array {
  const [start, end] = range;
  if (text[start] === '"') {
    const decoded = decodeDoubleQuoted(text, start, end);
    // A mismatch means the value was not read the way we decode it; matching still gives a position.
    if (decoded?.value === value) return Int32Array.from(decoded.offsets);
  }
  return alignByMatching(text, start, end, value);
}

/** YAML 1.2 one-character escapes and the value character each stands for. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
};

const HEX_ESCAPE_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

function isBlank(char: string | undefined): boolean {
  return char === " " || char === "\t";
}

/** Length of the line break at `index` (1 for LF, 2 for CRLF), or 0. */
function lineBreakLength(text: string, index: number): number {
  if (text[index] === "\n") return 1;
  return text[index] === "\r" && text[index + 1] === "\n" ? 2 : 0;
}

/**
 * Decodes the double-quoted scalar `text[start, end)` (quotes included) as the `yaml` parser does,
 * recording for each value character the source offset it comes from: the backslash for an escape
 * (the escaped character for `\"`, `\\`, `\/`, `\ ` and `\<TAB>`), the line break for a folded
 * line. Undefined for a malformed escape, which the parser has already reported.
 */
function decodeDoubleQuoted(
  text: string,
  start: number,
  end: number,
): { value: string; offsets: number[] } | undefined {
  let value = "";
  const offsets: number[] = [];
  const emit = (chars: string, at: number): void => {
    value += chars;
    for (let k = 0; k < chars.length; k++) offsets.push(at);
  };
  for (let i = start + 1; i < end - 1; i++) {
    const char = text[i] as string;
    if (char === "\r" && text[i + 1] === "\n") continue;
    if (char === "\n") {
      // Line folding: one break is a space, n > 1 breaks are n - 1 newlines; blanks around are dropped.
      const lineBreak = i;
      const emptyLines: number[] = [];
      while (isBlank(text[i + 1]) || lineBreakLength(text, i + 1) > 0) {
        if (text[i + 1] === "\n") emptyLines.push(i + 1);
        i++;
      }
      if (emptyLines.length === 0) emit(" ", lineBreak);
      for (const at of emptyLines) emit("\n", at);
      continue;
    }
    if (char === "\\") {
      const next = text[i + 1] as string;
      const simple = SIMPLE_ESCAPES[next];
      if (simple !== undefined) {
        emit(simple, simple === next ? i + 1 : i);
        i++;
        continue;
      }
      const escapedBreak = lineBreakLength(text, i + 1);
      if (escapedBreak > 0) {
        // An escaped line break joins the lines, also dropping the next line's indentation.
        i += escapedBreak;
        while (isBlank(text[i + 1])) i++;
        continue;
      }
      const digits = HEX_ESCAPE_DIGITS[next];
      if (digits === undefined) return undefined;
      const hex = text.slice(i + 2, i + 2 + digits);
      if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) return undefined;
      emit(String.fromCodePoint(code), i);
      i += 1 + digits;
      continue;
    }
    if (isBlank(char)) {
      // Blanks before a line break are dropped.
      let last = i;
      while (isBlank(text[last + 1])) last++;
      if (lineBreakLength(text, last + 1) === 0) {
        for (let k = i; k <= last; k++) emit(text[k] as string, k);
      }
      i = last;
      continue;
    }
    emit(char, i);
  }
  return { value, offsets };
}

const SKIPPABLE = new Set([" ", "\t", "\n", "\r", "\\", '"', "'"]);

/**
 * Walks the source and the value together, skipping indentation, line breaks and quotes. For
 * block scalars (`>`, `|`) this lands on the right line even after folding.
 */
function alignByMatching(text: string, start: number, end: number, value: string): Int32Array {
  const map = new Int32Array(value.length);
  let p = start;
  const first = text[start];
  if (first === ">" || first === "|") {
    const newline = text.indexOf("\n", start);
    p = newline < 0 || newline > end ? end : newline + 1;
  } else if (first === '"' || first === "'") {
    p = start + 1;
  }
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (p < end && text[p] === c) {
      map[i] = p++;
      continue;
    }
    let q = p;
    while (q < end && text[q] !== c && SKIPPABLE.has(text[q] as string)) q++;
    if (q < end && text[q] === c) {
      map[i] = q;
      p = q + 1;
    } else {
      map[i] = Math.min(p, Math.max(end - 1, start));
      if (p < end) p++;
    }
  }
  return map;
}

interface Piece {
  /** Offset in the assembled text. */
  readonly start: number;
  readonly length: number;
  readonly scalar: ScalarSource | undefined;
  /** Offset in the scalar's value of this piece's first character. */
  readonly scalarOffset: number;
  /** For synthetic text (joins, substitutions): what it stands for. */
  readonly anchor: Anchor;
}

// One object shape for every piece: texts are cut and joined for every condition loaded.
function makePiece(
  start: number,
  length: number,
  scalar: ScalarSource | undefined,
  scalarOffset: number,
  anchor: Anchor,
): Piece {
  return { start, length, scalar, scalarOffset, anchor };
}

/**
 * A global offset, or a character of an earlier text: a substitution keeps the text it replaced
 * in, so its position is located only when a finding asks for it.
 */
type Anchor = number | { readonly text: LocatedText; readonly offset: number };

function anchorOffset(anchor: Anchor): number {
  return typeof anchor === "number" ? anchor : anchor.text.globalOffset(anchor.offset);
}

export class LocatedText {
  private constructor(
    readonly text: string,
    private readonly pieces: readonly Piece[],
  ) {}

  static fromScalar(scalar: ScalarSource): LocatedText {
    return new LocatedText(scalar.value, [makePiece(0, scalar.value.length, scalar, 0, scalar.start)]);
  }

  static synthetic(text: string, anchor: number): LocatedText {
    return new LocatedText(text, [makePiece(0, text.length, undefined, 0, anchor)]);
  }

  static concat(parts: readonly LocatedText[]): LocatedText {
    const pieces: Piece[] = [];
    let offset = 0;
    let text = "";
    for (const part of parts) {
      for (const p of part.pieces)
        pieces.push(makePiece(p.start + offset, p.length, p.scalar, p.scalarOffset, p.anchor));
      offset += part.text.length;
      text += part.text;
    }
    return new LocatedText(text, pieces);
  }

  /** Global offset of character `offset` (the end of the text maps to the last character). */
  globalOffset(offset: number): number {
    const pieces = this.pieces;
    if (pieces.length === 0) return -1;
    let low = 0;
    let high = pieces.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((pieces[mid] as Piece).start <= offset) low = mid;
      else high = mid - 1;
    }
    const piece = pieces[low] as Piece;
    if (!piece.scalar || piece.length === 0) return anchorOffset(piece.anchor);
    return piece.scalar.globalOffset(piece.scalarOffset + Math.min(offset - piece.start, piece.length - 1));
  }

  /** Replaces `[start, end)` by `insert`, which stands for this text's character `origin`. */
  replace(start: number, end: number, insert: string, origin: number): LocatedText {
    const text = this.text.slice(0, start) + insert + this.text.slice(end);
    const delta = insert.length - (end - start);
    const pieces: Piece[] = [];
    for (const p of this.pieces) {
      if (p.length > 0 && p.start < start) {
        pieces.push(
          makePiece(
            p.start,
            Math.min(p.start + p.length, start) - p.start,
            p.scalar,
            p.scalarOffset,
            p.anchor,
          ),
        );
      }
    }
    pieces.push(makePiece(start, insert.length, undefined, 0, { text: this, offset: origin }));
    for (const p of this.pieces) {
      if (p.length > 0 && p.start + p.length > end) {
        const cut = Math.max(end - p.start, 0);
        pieces.push(
          makePiece(p.start + cut + delta, p.length - cut, p.scalar, p.scalarOffset + cut, p.anchor),
        );
      }
    }
    return new LocatedText(text, pieces);
  }
}
