/**
 * A YAML file cut at the items of its top-level block sequence, so each item can be parsed alone:
 * each item's tree is garbage as soon as the item is read, where the tree of a whole large file
 * stayed alive through its parse and made every garbage collection copy more.
 */

import { isAlias, isMap, isSeq } from "yaml";

/** One top-level item: its text from its `-` up to the next item, and where that starts. */
export interface YamlChunk {
  readonly text: string;
  readonly start: number;
}

// Only a marker or a directive at the start of a line can change how the items around it read.
// (`^` also matches after a CR or U+2028 here: that only sends more files to the whole-file parse.)
const DOCUMENT_LEVEL = /^(?:---|\.\.\.|%)/m;
// `-` then a blank, at the start of a line (after LF: YAML breaks lines at LF and CR LF).
const FIRST_ITEM = /^-(?=[ \t\r\n]|$)/;
const NEXT_ITEM = /\n-(?=[ \t\r\n]|$)/g;
const COMMENTS_ONLY = /^(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(?:#[^\n]*)?$/;

/**
 * The top-level items of a file made of comments, then one block sequence at column 0, with no
 * document markers or directives; undefined for any other shape. Together the chunks hold every
 * character after the leading comments, in order.
 */
export function topLevelItems(text: string): YamlChunk[] | undefined {
  if (DOCUMENT_LEVEL.test(text)) return undefined;
  const starts = FIRST_ITEM.test(text) ? [0] : [];
  for (const match of text.matchAll(NEXT_ITEM)) starts.push(match.index + 1);
  const first = starts[0];
  if (first === undefined || !COMMENTS_ONLY.test(text.slice(0, first))) return undefined;
  return starts.map((start, index) => ({ text: text.slice(start, starts[index + 1] ?? text.length), start }));
}

/**
 * Whether a chunk's tree holds an alias: parsed alone, a chunk cannot resolve an alias to an anchor
 * in another chunk (and `yaml` reports no error for it), so such a file is parsed whole.
 */
export function holdsAlias(chunk: YamlChunk, contents: unknown): boolean {
  return chunk.text.includes("*") && nodeHoldsAlias(contents);
}

function nodeHoldsAlias(node: unknown): boolean {
  if (isAlias(node)) return true;
  if (isSeq(node)) return node.items.some(nodeHoldsAlias);
  if (isMap(node)) return node.items.some((pair) => nodeHoldsAlias(pair.key) || nodeHoldsAlias(pair.value));
  return false;
}
