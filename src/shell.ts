// POSIX shell words: what codex-auth writes for a shell to read (the env file, the helper command
// Codex runs with sh -c) and the commands it suggests, so they can be pasted as they are.

/** `value` as one sh word: bare when that is safe, else single-quoted. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : shellQuote(value);
}

/** `value` single-quoted: the shell expands nothing inside. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A command line to paste: each word quoted only where it needs to be. */
export function shellCommand(words: string[]): string {
  return words.map(shellWord).join(' ');
}
