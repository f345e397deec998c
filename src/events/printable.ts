import { stripVTControlCharacters } from "node:util";

/**
 * Text from an event (a command line, a rule name, a NATS subject) made safe for a terminal:
 * escape sequences (colours, cursor moves, window titles, hyperlinks) are removed, and any other
 * control character (a newline that would forge a line, a bell, a backspace) shows as `\n`, `\x07`...
 */
export function printable(text: string): string {
  return stripVTControlCharacters(text).replace(
    // C0 controls, DEL, C1 controls, and the Unicode line and paragraph separators.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (char) => CONTROL_NAMES[char] ?? escape(char.charCodeAt(0)),
  );
}

function escape(code: number): string {
  return code > 0xff
    ? `\\u${code.toString(16).padStart(4, "0")}`
    : `\\x${code.toString(16).padStart(2, "0")}`;
}

const CONTROL_NAMES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
