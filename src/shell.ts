// Commands and paths shown to the person are meant to be pasted into a POSIX shell, so any word
// that a shell would split or expand is single-quoted (server names and paths may hold spaces).

/** Single-quotes the word for sh; the shell expands nothing inside. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The word as typed when it is safe bare, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : shellQuote(word);
}

/** A command line to paste: each word quoted only where it needs to be. */
export function shellCommand(words: string[]): string {
  return words.map(shellWord).join(' ');
}
