// Everything the CLI prints goes through here: colour only when wanted
// (NO_COLOR, --no-color, not a terminal), progress and diagnostics on stderr,
// results on stdout, and `--json` output that scripts can rely on. Text from
// servers (error descriptions, device codes, issuers) reaches the terminal only
// through here, so this is where control characters are taken out of it.
import { Chalk, type ChalkInstance } from 'chalk';
import type { CodexAuthError, Step } from '../errors.ts';

export interface Streams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface OutputOptions {
  json?: boolean;
  debug?: boolean;
  color?: boolean;
  env: NodeJS.ProcessEnv;
}

const STEP_LABELS: Record<Step, string> = {
  arguments: 'command line',
  settings: 'settings',
  config: 'reading config',
  probe: 'probing the server',
  'resource-metadata': 'protected-resource metadata',
  'authorization-server-metadata': 'authorization-server metadata',
  registration: 'client registration',
  authorization: 'authorization',
  callback: 'callback',
  'token-exchange': 'token exchange',
  refresh: 'token refresh',
  revocation: 'revocation',
  'device-authorization': 'device authorization',
  credentials: 'reading credentials',
  'client-credentials': 'client credentials grant',
  'jwt-bearer': 'JWT bearer grant',
  'idp-token-exchange': 'token exchange at the IdP',
  state: 'state',
  rewrite: 'config rewrite',
  'env-file': 'env file',
  lock: 'lock',
  launch: 'launch',
  proxy: 'proxy',
  headers: 'headers for Codex',
};

export function stepLabel(step: Step): string {
  return STEP_LABELS[step];
}

function wantsColor(stream: Streams['stderr'], options: OutputOptions): boolean {
  // --color and --no-color are the person's word for this command: they beat NO_COLOR and the terminal check.
  if (options.color !== undefined) return options.color;
  if (options.env.NO_COLOR !== undefined && options.env.NO_COLOR !== '') return false;
  if (options.env.FORCE_COLOR !== undefined && options.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && options.env.TERM !== 'dumb';
}

// C0 controls but the newline, DEL, C1 controls (0x9b is a one-byte CSI), and the Unicode
// controls that reorder or hide text: none of them may reach a terminal from a server.
const CONTROL_CHARACTERS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same in JSON: valid there (JSON.stringify leaves C1 and bidi raw), so escaped instead of removed.
const JSON_RAW_CONTROLS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The only escape sequences ever written: the colours and weights of `color`, and only when colour is on.
const OWN_STYLE = /\u001b\[(?:1|2|22|31|32|33|39)m/g;

/** Text safe for a terminal: control characters removed; newlines only where `keepNewlines` (our own layout). */
export function terminalText(text: string, keepNewlines = false): string {
  const cleaned = text.replace(CONTROL_CHARACTERS, '');
  return keepNewlines ? cleaned : cleaned.replace(/\n/g, ' ');
}

export class Output {
  readonly json: boolean;
  readonly debugEnabled: boolean;
  /** Whether a JSON document has gone to stdout: a failure after it must not add a second one. */
  wroteJson = false;
  private chalk: ChalkInstance | undefined;

  constructor(
    readonly streams: Streams,
    private readonly options: OutputOptions,
  ) {
    this.json = options.json ?? false;
    this.debugEnabled = options.debug ?? false;
  }

  /**
   * Decided on first use: looking at stderr sets up Node's stream for it, which a run that
   * prints nothing (the `codex` alias, the header helper) need not pay for.
   */
  get color(): ChalkInstance {
    this.chalk ??= new Chalk({ level: wantsColor(this.streams.stderr, this.options) ? 1 : 0 });
    return this.chalk;
  }

  /**
   * Text composed by codex-auth, which may hold remote strings: every control character goes,
   * newlines (our own layout) stay, and so do the escape sequences of `color` when it is on.
   */
  private safe(text: string): string {
    if (this.chalk === undefined || this.chalk.level === 0) return terminalText(text, true);
    const own = text.match(OWN_STYLE) ?? [];
    return text
      .split(OWN_STYLE)
      .map((part, index) => terminalText(part, true) + (own[index] ?? ''))
      .join('');
  }

  /** A result line on stdout. */
  print(text: string): void {
    this.streams.stdout.write(`${this.safe(text)}\n`);
  }

  printJson(value: unknown): void {
    const json = JSON.stringify(value, null, 2).replace(JSON_RAW_CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    this.streams.stdout.write(`${json}\n`);
    this.wroteJson = true;
  }

  /** Human-facing messages go to stderr so stdout stays clean for results and --json. */
  info(text: string): void {
    this.streams.stderr.write(`${this.safe(text)}\n`);
  }

  success(text: string): void {
    this.info(`${this.color.green('✓')} ${text}`);
  }

  warn(text: string): void {
    this.info(`${this.color.yellow('!')} ${text}`);
  }

  /** One line per protocol step, so a person sees where a network wait is. */
  progress(server: string, step: Step, detail: string): void {
    this.info(`${this.color.dim('·')} ${this.color.bold(server)} ${this.color.dim(stepLabel(step))} ${terminalText(detail)}`);
  }

  debug(line: string): void {
    if (this.debugEnabled) this.info(this.color.dim(`debug: ${terminalText(line)}`));
  }

  error(error: CodexAuthError): void {
    const where = [error.server, stepLabel(error.step)].filter(Boolean).join(': ');
    // One line each, whatever a server put into them.
    this.info(`${this.color.red('error:')} ${where ? `${where}: ` : ''}${terminalText(error.message)}`);
    if (error.serverSaid) this.info(`  ${this.color.dim('server said:')} ${terminalText(error.serverSaid)}`);
    if (error.hint) this.info(`  ${this.color.dim('next:')} ${terminalText(error.hint)}`);
  }
}
