// Everything the CLI prints goes through here: colour only when wanted
// (NO_COLOR, --no-color, not a terminal), progress and diagnostics on stderr,
// results on stdout, and `--json` output that scripts can rely on.
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

export class Output {
  readonly json: boolean;
  readonly debugEnabled: boolean;
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

  /** A result line on stdout. */
  print(text: string): void {
    this.streams.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Human-facing messages go to stderr so stdout stays clean for results and --json. */
  info(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  success(text: string): void {
    this.info(`${this.color.green('✓')} ${text}`);
  }

  warn(text: string): void {
    this.info(`${this.color.yellow('!')} ${text}`);
  }

  /** One line per protocol step, so a person sees where a network wait is. */
  progress(server: string, step: Step, detail: string): void {
    this.info(`${this.color.dim('·')} ${this.color.bold(server)} ${this.color.dim(stepLabel(step))} ${detail}`);
  }

  debug(line: string): void {
    if (this.debugEnabled) this.info(this.color.dim(`debug: ${line}`));
  }

  error(error: CodexAuthError): void {
    const where = [error.server, stepLabel(error.step)].filter(Boolean).join(': ');
    this.info(`${this.color.red('error:')} ${where ? `${where}: ` : ''}${error.message}`);
    if (error.serverSaid) this.info(`  ${this.color.dim('server said:')} ${error.serverSaid}`);
    if (error.hint) this.info(`  ${this.color.dim('next:')} ${error.hint}`);
  }
}
