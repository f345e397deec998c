/**
 * Keeping sensitive values out of messages: an error about a mistyped secret names the key and what
 * is allowed, never the value, so it cannot reach a terminal, a CI log or the Pulumi log.
 */

/** What a hidden value is replaced with; tests look for this wording. */
export function hiddenText(length: number): string {
  return `<${length} characters, hidden: the setting is sensitive>`;
}

/** Characters a value is split at to find the pieces a message may quote (a host, a header name, a list item). */
const PIECE_SEPARATORS = /[\s,:;=@/?&#]+/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every string and number inside `value` (a leaf, a list or a map), as text. */
function textsOf(value: unknown): string[] {
  const texts: string[] = [];
  const collect = (node: unknown): void => {
    if (typeof node === "string" || typeof node === "number" || typeof node === "bigint") {
      const text = String(node);
      if (text !== "") texts.push(text);
    } else if (Array.isArray(node)) node.forEach(collect);
    else if (typeof node === "object" && node !== null) Object.values(node).forEach(collect);
  };
  collect(value);
  return texts;
}

/**
 * An error about a sensitive setting without the setting: the value, every number or text in it,
 * and any quoted piece of it the message repeats (a host, a header name) are hidden.
 */
export function hideValue(message: string, value: unknown): string {
  const texts = [...new Set(textsOf(value))].sort((a, b) => b.length - a.length);
  if (texts.length === 0) return message;
  const pieces = new Set(texts.flatMap((text) => text.split(PIECE_SEPARATORS)).filter((p) => p !== ""));
  // Hidden parts become markers first, so later steps cannot match inside the replacement text.
  const hidden: string[] = [];
  const mark = (text: string): string => {
    hidden.push(hiddenText(text.length));
    return `\uE000${hidden.length - 1}\uE000`;
  };
  let result = message;
  for (const text of texts) {
    // Long values anywhere; short ones (a number such as 1234) only as a whole word.
    const pattern =
      text.length >= 4
        ? new RegExp(escapeRegExp(text), "g")
        : new RegExp(`(?<![\\w.-])${escapeRegExp(text)}(?![\\w.-])`, "g");
    result = result.replace(pattern, (found) => mark(found));
  }
  result = result.replace(/"([^"\uE000]+)"/g, (quoted, inner: string) =>
    (inner.length >= 4 && texts.some((text) => text.includes(inner))) || pieces.has(inner)
      ? `"${mark(inner)}"`
      : quoted,
  );
  return result.replace(/\uE000(\d+)\uE000/g, (_, index: string) => hidden[Number(index)] ?? "");
}

/** A URL with its user info and query values masked: `https://***:***@es:9200/?token=***`. */
function maskedUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1***@");
  }
  if (url.username === "" && url.password === "" && url.search === "") return text;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text)?.[0] ?? `${url.protocol}//`;
  const userInfo =
    url.username !== "" || url.password !== "" ? `***${url.password !== "" ? ":***" : ""}@` : "";
  const query =
    url.search === "" ? "" : `?${[...url.searchParams.keys()].map((key) => `${key}=***`).join("&")}`;
  return `${scheme}${userInfo}${url.host}${url.pathname === "/" && !text.includes(`${url.host}/`) ? "" : url.pathname}${query}${url.hash}`;
}

const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;

/**
 * Masks the credentials of any URL in a message (user info, query values), whatever key it was set
 * at: `"https://elastic:SECRET@es:9200" must not carry credentials` names the URL without SECRET.
 */
export function maskUrlCredentials(message: string): string {
  return message.replace(URL_IN_TEXT, (found) => maskedUrl(found));
}
