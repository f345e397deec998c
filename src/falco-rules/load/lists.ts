/**
 * Lists at compile time (`F:userspace/engine/rule_loader_compiler.cpp:182-324`): lists of lists
 * expand from earlier lists, and every list name in a condition is replaced, as text, by its items.
 */
import type { ListInfo } from "./collect.ts";
import type { LocatedText } from "./located-text.ts";

const LIST_BLANKS = " \t\n\r";
const LIST_DELIMS = " \t\n\r(),=";
const HAS_DELIMITER = /[ \t\n\r(),=]/;

/** Falco's `quote_item`: quoted only when it holds a space and is not quoted already. */
export function quoteItem(item: string): string {
  return item.includes(" ") && item[0] !== '"' && item[0] !== "'" ? `"${item}"` : item;
}

function isDelimiter(char: string | undefined): boolean {
  return char !== undefined && LIST_DELIMS.includes(char);
}

/** Lists compiled once for a ruleset; substitutes them into any number of conditions. */
export class ListSubstitution {
  /** Items after lists-of-lists expansion, by list name. */
  readonly items = new Map<string, string[]>();
  private readonly order = new Map<string, number>();
  /** Names holding a delimiter can never be a whole token: they are looked for in every text. */
  private readonly oddNames: string[] = [];
  private readonly replacements = new Map<string, string>();

  constructor(private readonly lists: readonly ListInfo[]) {
    const byName = new Map(lists.map((list) => [list.name, list]));
    lists.forEach((list, position) => {
      this.order.set(list.name, position);
      if (HAS_DELIMITER.test(list.name)) this.oddNames.push(list.name);
      const items: string[] = [];
      for (const item of list.items) {
        const ref = byName.get(item);
        // Only a list defined earlier expands; a later one stays a literal item.
        if (ref && ref.index < list.visibility) {
          ref.used = true;
          items.push(...ref.items);
        } else items.push(item);
      }
      this.items.set(list.name, items);
    });
  }

  /** The text a list name is replaced by (most lists are never named in any condition). */
  private replacementOf(name: string): string {
    let replacement = this.replacements.get(name);
    if (replacement === undefined) {
      replacement = (this.items.get(name) ?? []).map(quoteItem).join(", ");
      this.replacements.set(name, replacement);
    }
    return replacement;
  }

  /**
   * Falco's `resolve_list` over every list in definition order, keeping positions. Only the lists
   * whose name occurs in the text (or in items substituted before them) are scanned, so the cost
   * follows the text, not the number of lists.
   */
  substitute(text: LocatedText): LocatedText {
    // Positions (definition order) of the lists to scan, ascending once sorted; may hold repeats.
    const queue: number[] = [];
    for (const token of tokens(text.text)) {
      const position = this.order.get(token);
      if (position !== undefined) queue.push(position);
    }
    for (const name of this.oddNames) queue.push(this.order.get(name) as number);
    if (queue.length === 0) return text;
    queue.sort(ascending);
    let result = text;
    let last = -1;
    for (let next = 0; next < queue.length; next++) {
      const position = queue[next] as number;
      if (position <= last) continue;
      last = position;
      const replaced = this.substituteOne(result, this.lists[position] as ListInfo);
      if (replaced === result) continue;
      result = replaced;
      // Substituted items may name later lists, which Falco's later passes then replace.
      const later = this.laterListsIn(position);
      if (later.length > 0) {
        const rest = [...queue.slice(next + 1), ...later].sort(ascending);
        queue.length = next + 1;
        queue.push(...rest);
      }
    }
    return result;
  }

  private readonly laterListsByPosition = new Map<number, number[]>();

  /** Positions of the lists after `position` that the replacement of list `position` names. */
  private laterListsIn(position: number): number[] {
    let found = this.laterListsByPosition.get(position);
    if (!found) {
      const name = (this.lists[position] as ListInfo).name;
      found = [];
      for (const token of tokens(this.replacementOf(name))) {
        const later = this.order.get(token);
        if (later !== undefined && later > position) found.push(later);
      }
      this.laterListsByPosition.set(position, found);
    }
    return found;
  }

  private substituteOne(text: LocatedText, list: ListInfo): LocatedText {
    const name = list.name;
    const sub = this.replacementOf(name);
    let result = text;
    let cnd = result.text;
    let start = cnd.indexOf(name);
    while (start !== -1) {
      let end = start + name.length;
      if ((start === 0 || isDelimiter(cnd[start - 1])) && (end >= cnd.length || isDelimiter(cnd[end]))) {
        const origin = start;
        while (start > 0 && LIST_BLANKS.includes(cnd[start - 1] as string)) start--;
        while (end < cnd.length && LIST_BLANKS.includes(cnd[end] as string)) end++;
        if (sub === "") {
          // An empty list takes one neighbouring comma with it.
          if (start > 0 && cnd[start - 1] === ",") start--;
          else if (end < cnd.length && cnd[end] === ",") end++;
        }
        const insert = (start > 0 ? " " : "") + sub + " ";
        result = result.replace(start, end, insert, origin);
        cnd = result.text;
        start += sub.length + 1;
        list.used = true;
      }
      start = cnd.indexOf(name, start + 1);
    }
    return result;
  }
}

const TOKEN = /[^ \t\n\r(),=]+/g;

const ascending = (a: number, b: number): number => a - b;

/** The maximal runs of non-delimiter characters: the only places a list name can be replaced. */
function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}
