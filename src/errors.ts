// One error type for every failure a user can act on. The CLI prints
// `message`, the server said part and the hint; never a stack trace.

/** Exit codes, documented in the README. `run` forwards the child's own code once it has launched. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  discovery: 4,
  registration: 5,
  authorization: 6,
  token: 7,
  network: 8,
  storage: 9,
  launch: 10,
  notLoggedIn: 11,
  credentials: 12,
  interrupted: 130,
} as const;

export type ErrorKind = Exclude<keyof typeof ExitCode, 'ok' | 'interrupted'>;

/** The protocol or tool step a failure happened in, shown to the user. */
export type Step =
  | 'arguments'
  | 'settings'
  | 'config'
  | 'probe'
  | 'resource-metadata'
  | 'authorization-server-metadata'
  | 'registration'
  | 'authorization'
  | 'callback'
  | 'token-exchange'
  | 'refresh'
  | 'revocation'
  | 'device-authorization'
  | 'credentials'
  | 'client-credentials'
  | 'jwt-bearer'
  | 'idp-token-exchange'
  | 'state'
  | 'rewrite'
  | 'env-file'
  | 'lock'
  | 'launch'
  | 'proxy'
  | 'headers';

export interface CodexAuthErrorInit {
  kind: ErrorKind;
  step: Step;
  message: string;
  server?: string;
  /** What the remote server answered (error code and description), never a secret. */
  serverSaid?: string;
  /** The next thing to do, usually a command. */
  hint?: string;
  cause?: unknown;
}

export class CodexAuthError extends Error {
  readonly kind: ErrorKind;
  readonly step: Step;
  server: string | undefined;
  readonly serverSaid: string | undefined;
  readonly hint: string | undefined;

  constructor(init: CodexAuthErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'CodexAuthError';
    this.kind = init.kind;
    this.step = init.step;
    this.server = init.server;
    this.serverSaid = init.serverSaid;
    this.hint = init.hint;
  }

  get exitCode(): number {
    return ExitCode[this.kind];
  }

  /** Attaches the server name when a lower layer did not know it. */
  forServer(server: string): this {
    this.server ??= server;
    return this;
  }

  /** The same failure with another next step, for a caller that knows a better one. */
  withHint(hint: string): CodexAuthError {
    const { kind, step, server, serverSaid, message } = this;
    return new CodexAuthError({ kind, step, message, hint, cause: this.cause, ...(server ? { server } : {}), ...(serverSaid ? { serverSaid } : {}) });
  }
}

export function isCodexAuthError(value: unknown): value is CodexAuthError {
  return value instanceof CodexAuthError;
}
