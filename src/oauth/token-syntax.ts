// What a token must look like to be usable at all: Codex sends it in an Authorization header,
// and older Codex reads it from an environment variable the env file sets. A token holding a
// line break, NUL or other control character can be neither (and could inject a header line),
// so it is refused when a server issues it and skipped if one is found stored. No other module
// here, so that `run` and the header helper can ask without loading the OAuth engine.

/** Visible ASCII only (RFC 6750's b64token and the other printable characters real servers use). */
export function isSendableToken(token: string): boolean {
  return /^[\x21-\x7e]+$/.test(token);
}

/** A refresh token is only ever sent in a form body, but is stored and logged as JSON: no control characters. */
export function isStorableToken(token: string): boolean {
  return token.length > 0 && !/[\x00-\x1f\x7f]/.test(token);
}
