/**
 * Credentials never reach the terminal: every URL the CLI prints goes through here. A URL's user
 * info (`nats://user:password@host`, `nats://TOKEN@host`, `https://user:pass@ui`) becomes `***`.
 */

const REDACTED = "***";

/** `url` with its user info replaced by `***`; text that is no URL comes back unchanged. */
export function redactUrl(url: string): string {
  return redactUrlsIn(url);
}

/**
 * Every `scheme://userinfo@` in `text` (an error message, a description) with the user info
 * replaced. The user info ends at the last `@` before the host part, as URL parsers read it.
 */
export function redactUrlsIn(text: string): string {
  return text.replace(
    /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s"'`]*)@(?=[^@/?#\s"'`]*(?:[/?#\s"'`]|$))/gi,
    (_match, scheme: string) => `${scheme}${REDACTED}@`,
  );
}
