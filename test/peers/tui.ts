// Drives the real interactive Codex TUI (0.171.0) in a private tmux server, the way a person at a
// terminal would: an interactive bash with exactly the environment the test gives, optionally the
// `codex` alias of codex-auth, keys typed into the pane and the screen read back with capture-pane.
// Codex 0.150.1's TUI drives the same way (prompt, answer, /quit); it has no background server and
// ends with "run codex resume, then select …", which modeFromExitText leaves undefined.
//
// Codex 0.157+ starts a shared background server on the first TUI launch in a CODEX_HOME (it copies
// ~420 MB into $CODEX_HOME/packages, has no idle exit and outlives the TUI). A TuiHome owns one
// CODEX_HOME, so sessions of one test file can share that server, and its close() stops the server,
// its updater loop, every tmux server and anything else still naming the home, then deletes it.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { codexBin, shellJoin, writeCodexConfig, type ModelAction, type ModelTurnContext } from './model-server.ts';

const execFileAsync = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CODEX_AUTH_CLI = join(REPO, 'bin', 'codex-auth.js');

/** What Codex 0.171 shows (F2) when a command-line override makes it run without the background server. */
export const EMBEDDED_MODE_WARNING =
  'Running without the shared background server: command-line configuration overrides (-c, --enable, --disable, or --search) requires embedded mode.';

// Screen texts of Codex 0.171.0 this driver relies on.
const WARNINGS_HEADER = /^\s*Warnings · (\d+) of (\d+) · (.*)$/;
const WARNINGS_EMPTY = /^\s*No warnings$/m;
const WARNINGS_KEYS = 'k keep & next';
// Shown under the warnings when they come from the background server; not a warning itself.
const WARNINGS_SERVER_NOTE = 'These warnings may reflect settings from when the background server started';
const BACKGROUND_EXIT = 'Disconnected from this task.';
// Embedded: "To continue this session, run:" and "codex resume <id>" on the next line; "Session ID: <id>"
// alone when the session had no turn.
const EMBEDDED_EXIT = /To continue this session, run:\s+codex resume |^Session ID: /m;

export type TuiMode = 'background-server' | 'embedded';

export interface TuiWarning {
  /** The list's group, e.g. "Startup". */
  category: string;
  /** The warning's lines joined with single spaces (a URL wrapped across lines gets a space too). */
  text: string;
}

export interface TuiExit {
  /** What the codex command printed on the terminal after the TUI closed (before: the command line). */
  text: string;
  /** The command's exit status as the shell saw it. */
  code: number;
  mode: TuiMode | undefined;
}

/** Which mode a session ran in, read from the text Codex prints when the TUI ends. */
export function modeFromExitText(text: string): TuiMode | undefined {
  if (text.includes(BACKGROUND_EXIT)) return 'background-server';
  if (EMBEDDED_EXIT.test(text)) return 'embedded';
  return undefined;
}

/**
 * The mode both signs agree on: the exit text names it, and the embedded-mode warning is listed
 * exactly when the session ran embedded. Throws when they disagree or the exit text tells nothing.
 */
export function sessionMode(exit: TuiExit, warnings: TuiWarning[]): TuiMode {
  const warned = warnings.some(isEmbeddedModeWarning);
  if (exit.mode === undefined || warned !== (exit.mode === 'embedded')) {
    throw new Error(`cannot tell the mode: exit text says ${exit.mode ?? 'nothing'}, the embedded-mode warning is ${warned ? '' : 'not '}listed\n${exit.text}`);
  }
  return exit.mode;
}

/** Whitespace-insensitive, since the warnings list wraps lines at the pane's width. */
export function isEmbeddedModeWarning(warning: TuiWarning): boolean {
  return squash(warning.text).includes(squash(EMBEDDED_MODE_WARNING));
}

/** Fails at once (never skips) where tmux is missing; returns its path. */
const PROMPT = /call whoami \(session ([\w-]+)\)/;

/**
 * Keyed on the prompt, not on turn numbers (the server sees every session's requests, and Codex adds
 * requests of its own, such as one asking for a title): a prompt "call whoami (session N)" gets a
 * call of the demo server's whoami, then an answer quoting the tool's output.
 */
export function whoamiModel(layout: { mcp: { marker: string } }) {
  return (ctx: ModelTurnContext): ModelAction => {
    const session = PROMPT.exec(ctx.userText ?? '')?.[1];
    if (session === undefined) return { type: 'message', text: 'Whoami check' };
    if (ctx.answersToolCall) {
      const saw = ctx.lastToolOutput?.includes(layout.mcp.marker) ? layout.mcp.marker : 'no marker';
      return { type: 'message', text: `whoami answered session ${session}: ${saw}` };
    }
    const offered = ctx.tools.some((tool) => tool.type === 'namespace' && tool.name === 'mcp__demo');
    if (!offered) return { type: 'message', text: `whoami was not offered in session ${session}` };
    return { type: 'call-mcp-tool', server: 'demo', tool: 'whoami' };
  };
}

export function requireTmux(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin', '/bin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, 'tmux');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error('the TUI tests need tmux: apt-get install tmux');
}

/** The folders a TuiHome lives in; a harness Sandbox fits. Everything must be inside `root`. */
export interface TuiHomeDirs {
  root: string;
  home: string;
  codexHome: string;
  /** CODEX_AUTH_HOME. */
  stateDir: string;
}

export interface TuiHome {
  root: string;
  codexHome: string;
  /** The directory sessions start in; the config marks it trusted. */
  workDir: string;
  /** The environment every session's shell starts with (a session may add to it). */
  env: Record<string, string>;
  /** Writes config.toml for a clean first start against the fake model service; returns its path. */
  writeConfig(input: { modelBaseUrl: string; topToml?: string; extraToml?: string }): string;
  /** The background server's pid, when one runs for this CODEX_HOME. */
  backgroundServerPid(): number | undefined;
  /** Every process whose command line or environment names this home's root (its own tmux servers too). */
  processes(): ProcessInfo[];
  /**
   * Ends every session, stops the background server and its updater, kills whatever still names the
   * home, deletes `root`, and throws if a process of this home survived all that.
   */
  close(): Promise<void>;
}

export interface ProcessInfo {
  pid: number;
  command: string;
}

/** Whether a pid the test saw (say, the background server's) is still a live process. */
export function isRunning(pid: number): boolean {
  return alive(pid);
}

const openHomes = new Set<TuiHomeImpl>();

/**
 * A CODEX_HOME for TUI sessions. The environment is built from the dirs (HOME, CODEX_HOME,
 * CODEX_AUTH_HOME, PATH with node_modules/.bin and node, LANG, TERM, FAKE_API_KEY) plus `env`.
 */
export function createTuiHome(dirs: TuiHomeDirs, options: { env?: Record<string, string> } = {}): TuiHome {
  const tmux = requireTmux();
  const home = new TuiHomeImpl(dirs, tmux, {
    PATH: [...new Set([join(REPO, 'node_modules', '.bin'), dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'])].join(delimiter),
    HOME: dirs.home,
    CODEX_HOME: dirs.codexHome,
    CODEX_AUTH_HOME: dirs.stateDir,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    FAKE_API_KEY: 'x',
    ...options.env,
  });
  openHomes.add(home);
  return home;
}

/**
 * Writes config.toml for the TUI: the fake model provider, the work dir trusted, and the first-run
 * screens and update check off. MCP servers get 8 s (not ~1 s) at thread start before the first
 * model request, so a tool is offered on the first turn.
 */
export function writeTuiConfig(codexHome: string, input: { modelBaseUrl: string; workDir: string; topToml?: string; extraToml?: string }): string {
  return writeCodexConfig(codexHome, {
    modelBaseUrl: input.modelBaseUrl,
    topToml: ['check_for_update_on_startup = false', 'mcp_optional_startup_grace_ms = 8000', input.topToml ?? ''].join('\n').trim(),
    extraToml: `[tui]
screen_reader_detection_done = true

[projects."${input.workDir}"]
trust_level = "trusted"
${input.extraToml ? `\n${input.extraToml}` : ''}`,
  });
}

class TuiHomeImpl implements TuiHome {
  readonly root: string;
  readonly codexHome: string;
  readonly workDir: string;
  readonly sessions = new Set<TuiSession>();
  private sessionCount = 0;

  constructor(
    dirs: TuiHomeDirs,
    readonly tmux: string,
    readonly env: Record<string, string>,
  ) {
    this.root = dirs.root;
    this.codexHome = dirs.codexHome;
    this.workDir = join(dirs.root, 'work');
    mkdirSync(this.workDir, { recursive: true });
    mkdirSync(dirs.home, { recursive: true });
    mkdirSync(dirs.codexHome, { recursive: true });
  }

  nextSessionNumber(): number {
    return ++this.sessionCount;
  }

  writeConfig(input: { modelBaseUrl: string; topToml?: string; extraToml?: string }): string {
    return writeTuiConfig(this.codexHome, { ...input, workDir: this.workDir });
  }

  backgroundServerPid(): number | undefined {
    const pid = this.pidFromFile('daemon.pid');
    return pid !== undefined && commandLine(pid).includes('--managed-daemon') ? pid : undefined;
  }

  processes(): ProcessInfo[] {
    return processesNaming(this.root);
  }

  async close(): Promise<void> {
    try {
      for (const session of this.sessions) await session.close();
      await this.stopBackgroundServer();
      await killAndWait(this.processes());
      this.removeDaemonSockets();
      rmSync(this.root, { recursive: true, force: true });
    } catch (error) {
      this.closeNow();
      throw error;
    } finally {
      openHomes.delete(this);
    }
    const left = this.processes();
    if (left.length > 0) throw new Error(`processes of ${this.root} survived the clean-up:\n${left.map((info) => `  ${info.pid} ${info.command}`).join('\n')}`);
  }

  /** For process exit: no waiting, no Codex commands, just kill what names the home and delete it. */
  closeNow(): void {
    for (const info of this.processes()) signal(info.pid, 'SIGKILL');
    this.removeDaemonSockets();
    rmSync(this.root, { recursive: true, force: true });
  }

  // `daemon stop` ends the server but not its updater loop, whose pid has a file of its own.
  private async stopBackgroundServer(): Promise<void> {
    if (existsSync(join(this.codexHome, 'app-server-daemon', 'daemon.pid'))) {
      await execFileAsync(codexBin('latest'), ['app-server', 'daemon', 'stop'], { env: this.env, cwd: this.workDir, timeout: 20_000 }).catch(() => undefined);
    }
    const updater = this.pidFromFile('daemon-updater.pid');
    if (updater !== undefined) await killAndWait([{ pid: updater, command: commandLine(updater) }]);
  }

  // The pid files are JSON ({"pid":N,...}); a pid counts only while its process still names this home.
  private pidFromFile(name: string): number | undefined {
    try {
      const { pid } = JSON.parse(readFileSync(join(this.codexHome, 'app-server-daemon', name), 'utf8')) as { pid?: unknown };
      return typeof pid === 'number' && commandLine(pid).includes(this.codexHome) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  // The sockets live in /tmp/codex-daemon-<uid>/, linked from the home; a killed server leaves them.
  private removeDaemonSockets(): void {
    for (const link of [join('app-server-control', 'app-server-control.sock'), join('app-server-daemon', 'daemon-updater.sock')]) {
      let target: string;
      try {
        target = readlinkSync(join(this.codexHome, link));
      } catch {
        continue;
      }
      rmSync(target, { force: true });
      rmSync(`${target}.lock`, { force: true });
    }
  }
}

// A background server has no idle exit: if the test process ends before close() (a crash, a signal
// from the test runner), the homes still open are cleaned up on the way out.
function closeOpenHomesNow(): void {
  for (const home of openHomes) home.closeNow();
  openHomes.clear();
}
process.once('exit', closeOpenHomesNow);
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(name, () => {
    closeOpenHomesNow();
    // Then the signal's own effect, unless someone else handles it.
    if (process.listenerCount(name) === 0) process.kill(process.pid, name);
  });
}

export interface TuiStartOptions {
  home: TuiHome;
  /** 'alias': `codex` through `alias codex='node <codex-auth CLI> run -- codex'`; 'plain': the real codex binary. */
  via: 'alias' | 'plain';
  /** Arguments after `codex`. */
  args?: string[];
  /** Added to the home's environment for this shell only (secrets belong here, never in args). */
  env?: Record<string, string>;
  /** The model the footer names once the composer takes prompts. */
  model?: string;
  /** The codex-auth CLI the alias runs (default: this repository's built bin/codex-auth.js). */
  cli?: string;
  cols?: number;
  rows?: number;
}

export interface TuiTimings {
  /** From pressing Enter on the command line until the footer named the model. */
  composerReadyMs?: number;
  /** From pressing Enter on the command line until the TUI had exited. */
  sessionMs?: number;
}

/** Starts a private tmux server with an interactive bash and launches codex in it. */
export async function startTui(options: TuiStartOptions): Promise<TuiSession> {
  const home = options.home as TuiHomeImpl;
  const session = new TuiSession(home, options);
  home.sessions.add(session);
  await session.launch(options);
  return session;
}

export class TuiSession {
  readonly socket: string;
  readonly number: number;
  readonly timings: TuiTimings = {};
  private readonly model: string;
  private readonly exitMarker: string;
  private launchedAt = 0;
  private exit: TuiExit | undefined;
  private closed = false;

  constructor(
    private readonly home: TuiHomeImpl,
    options: TuiStartOptions,
  ) {
    this.number = home.nextSessionNumber();
    this.socket = join(home.root, `tmux-${this.number}.sock`);
    this.model = options.model ?? 'fake-model';
    this.exitMarker = `TUI-EXIT-${this.number}`;
  }

  async launch(options: TuiStartOptions): Promise<void> {
    const env = { ...this.home.env, ...options.env };
    const config = join(this.home.root, `tmux-${this.number}.conf`);
    // No status line: the pane gets the whole window. TERM inside the pane is tmux's default-terminal.
    writeFileSync(config, [`set -g default-terminal "${env.TERM ?? 'xterm-256color'}"`, 'set -g status off', 'set -g history-limit 20000', ''].join('\n'));
    // tmux adds these to the pane's environment; the shell must see only what the test gave.
    const added = ['TMUX', 'TMUX_PANE', 'TERM_PROGRAM', 'TERM_PROGRAM_VERSION', ...(env.SHELL === undefined ? ['SHELL'] : [])];
    const shell = `exec env ${added.map((name) => `-u ${name}`).join(' ')} bash --norc --noprofile -i`;
    const size = ['-x', String(options.cols ?? 160), '-y', String(options.rows ?? 50)];
    // The tmux server inherits this environment (secrets included) without them appearing in any argv.
    await execFileAsync(this.home.tmux, ['-S', this.socket, '-f', config, 'new-session', '-d', '-s', 'tui', ...size, '-c', this.home.workDir, shell], { env, cwd: this.home.workDir });
    await this.waitFor(/\S/, { timeoutMs: 10_000, what: 'the shell prompt' });
    if (options.via === 'alias') await this.typeLine(`alias codex='node ${options.cli ?? CODEX_AUTH_CLI} run -- codex'`);
    const codex = options.via === 'alias' ? 'codex' : 'command codex';
    const args = shellJoin(options.args ?? []);
    // The marker line after the command tells that the TUI ended and with which exit status.
    await this.typeLine(`${codex}${args ? ` ${args}` : ''}; printf '%s:%s\\n' ${this.exitMarker} "$?"`);
    this.launchedAt = Date.now();
  }

  /** The visible pane, trailing blanks removed. */
  async screen(): Promise<string> {
    return this.capture(['-p']);
  }

  /** Polls the screen until it matches; the failure message shows the last screen. */
  async waitFor(pattern: string | RegExp, options: { timeoutMs?: number; what?: string } = {}): Promise<string> {
    return this.waitUntil((screen) => matches(screen, pattern), { timeoutMs: options.timeoutMs ?? 30_000, what: options.what ?? String(pattern) });
  }

  /** Types text literally (no key names). */
  async type(text: string): Promise<void> {
    await this.tmuxCommand(['send-keys', '-t', 'tui', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, Escape, F2, C-c, Left, Right, BSpace, ... */
  async press(...keys: string[]): Promise<void> {
    await this.tmuxCommand(['send-keys', '-t', 'tui', ...keys]);
  }

  /**
   * Waits until the composer takes prompts: while the background server starts, typing works but
   * Enter does nothing; the footer names the model once it is ready.
   */
  async waitForComposer(timeoutMs = 60_000): Promise<void> {
    await this.waitUntil((screen) => this.composerReady(screen), { timeoutMs, what: `the composer with the footer naming ${this.model}` });
    this.timings.composerReadyMs ??= Date.now() - this.launchedAt;
  }

  /** Types a prompt once the composer is ready and sends it; Enter again only if the prompt is still unsent. */
  async submitPrompt(text: string, timeoutMs = 60_000): Promise<void> {
    if (text.includes('\n')) throw new Error('submitPrompt takes one line');
    await this.waitForComposer(timeoutMs);
    await this.type(text);
    await this.waitUntil((screen) => composerLine(screen) === `› ${text}`, { timeoutMs: 10_000, what: `the prompt "${text}" in the composer` });
    const deadline = Date.now() + timeoutMs;
    do {
      await this.press('Enter');
      const sent = await this.waitUntil((screen) => composerLine(screen) !== `› ${text}`, { timeoutMs: 3_000, what: 'the prompt sent' }).then(
        () => true,
        () => false,
      );
      if (sent) return;
    } while (Date.now() < deadline);
    throw new Error(`the prompt "${text}" stayed in the composer: Enter did nothing\n${await this.screen()}`);
  }

  /**
   * Opens the warnings list (F2), reads every warning ("k" keeps it and shows the next; after the last
   * the list closes) and returns them. Esc would dismiss a warning, so it is used only on an empty list.
   */
  async warnings(): Promise<TuiWarning[]> {
    await this.waitForComposer();
    await this.press('F2');
    let screen = await this.waitUntil((text) => WARNINGS_EMPTY.test(text) || headerOf(text) !== undefined, { timeoutMs: 10_000, what: 'the warnings list (F2)' });
    const found: TuiWarning[] = [];
    for (let header = headerOf(screen); header !== undefined; header = headerOf(screen)) {
      found.push({ category: header.category, text: warningText(screen) });
      await this.press('k');
      const shown = header.index;
      screen = await this.waitUntil((text) => !text.includes(WARNINGS_KEYS) || (headerOf(text)?.index ?? shown) !== shown, {
        timeoutMs: 10_000,
        what: `the warning after number ${shown}`,
      });
      if (!screen.includes(WARNINGS_KEYS)) return found;
    }
    await this.press('Escape');
    await this.waitUntil((text) => !text.includes(WARNINGS_KEYS), { timeoutMs: 10_000, what: 'the warnings list to close' });
    return found;
  }

  /** `/quit`; resolves with what codex printed afterwards, its exit status and the mode that text tells. */
  async quit(timeoutMs = 30_000): Promise<TuiExit> {
    if (this.exit) return this.exit;
    if ((await this.exitStatus()) === undefined) {
      await this.waitForComposer(timeoutMs);
      await this.type('/quit');
      await this.waitUntil((screen) => composerLine(screen)?.startsWith('› /quit') ?? false, { timeoutMs: 10_000, what: '/quit in the composer' });
      await this.press('Enter');
    }
    return this.waitForExit(timeoutMs);
  }

  /** The shell's environment as the kernel holds it (what `env -i` style promises). */
  async shellEnvironment(): Promise<Record<string, string>> {
    const pid = Number((await this.tmuxCommand(['display-message', '-p', '-t', 'tui', '#{pane_pid}'])).trim());
    const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
    return Object.fromEntries(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  }

  /** Quits the TUI if it still runs (Ctrl-C if /quit does not end it), then kills the tmux server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.exit === undefined && existsSync(this.socket)) {
        await this.quit(15_000).catch(async () => {
          await this.press('C-c', 'C-c').catch(() => undefined);
          await this.waitForExit(5_000).catch(() => undefined);
        });
      }
    } finally {
      await this.tmuxCommand(['kill-server']).catch(() => undefined);
      this.home.sessions.delete(this);
    }
  }

  /** Waits until the command typed in the shell has ended (for commands that are not the TUI, such as `codex mcp login`). */
  async waitForExit(timeoutMs: number): Promise<TuiExit> {
    await this.waitUntil(async () => (await this.exitStatus()) !== undefined, { timeoutMs, what: `${this.exitMarker} (codex ended)`, fullHistory: true });
    const history = await this.capture(['-p', '-J', '-S', '-']);
    const lines = history.split('\n');
    const end = lines.findIndex((line) => line.startsWith(`${this.exitMarker}:`));
    const start = lines.slice(0, end).findLastIndex((line) => line.includes(`${this.exitMarker} "$?"`));
    const text = lines.slice(start + 1, end).join('\n').trim();
    this.exit = { text, code: (await this.exitStatus())!, mode: modeFromExitText(text) };
    this.timings.sessionMs = Date.now() - this.launchedAt;
    return this.exit;
  }

  private async exitStatus(): Promise<number | undefined> {
    const history = await this.capture(['-p', '-J', '-S', '-']);
    const status = new RegExp(`^${this.exitMarker}:(\\d+)$`, 'm').exec(history)?.[1];
    return status === undefined ? undefined : Number(status);
  }

  private composerReady(screen: string): boolean {
    // The footer is the first line under the composer with text; a blank line may come between.
    const lines = screen.split('\n');
    const composer = lines.findLastIndex((line) => line.startsWith('›'));
    const footer = lines.slice(composer + 1).find((line) => line.trim() !== '')?.trimStart() ?? '';
    return composer >= 0 && footer.startsWith(`${this.model} `) && footer.includes(' · ');
  }

  private async typeLine(line: string): Promise<void> {
    await this.type(line);
    await this.press('Enter');
  }

  private async capture(args: string[]): Promise<string> {
    const text = await this.tmuxCommand(['capture-pane', '-t', 'tui', ...args]);
    return text
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trimEnd();
  }

  private async waitUntil(
    done: (screen: string) => boolean | Promise<boolean>,
    options: { timeoutMs: number; what: string; fullHistory?: boolean },
  ): Promise<string> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const screen = await this.screen();
      if (await done(screen)) return screen;
      if (Date.now() > deadline) {
        const shown = options.fullHistory ? await this.capture(['-p', '-J', '-S', '-']) : screen;
        throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what} in the Codex TUI (tmux -S ${this.socket}); last screen:\n${shown}`);
      }
      await delay(150);
    }
  }

  private async tmuxCommand(args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(this.home.tmux, ['-S', this.socket, ...args], { env: this.home.env });
    return stdout;
  }
}

function headerOf(screen: string): { index: number; total: number; category: string } | undefined {
  for (const line of screen.split('\n')) {
    const match = WARNINGS_HEADER.exec(line);
    if (match) return { index: Number(match[1]), total: Number(match[2]), category: match[3]!.trim() };
  }
  return undefined;
}

// The lines between the list's header and its key help, without the background server's note.
function warningText(screen: string): string {
  const lines = screen.split('\n');
  const start = lines.findIndex((line) => WARNINGS_HEADER.test(line));
  const end = lines.findIndex((line, index) => index > start && line.includes(WARNINGS_KEYS));
  const note = lines.findIndex((line, index) => index > start && line.includes(WARNINGS_SERVER_NOTE));
  const body = lines.slice(start + 1, note > start && note < end ? note : end);
  return body
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
}

// The composer is the last line that starts with the prompt sign.
function composerLine(screen: string): string | undefined {
  return screen
    .split('\n')
    .findLast((line) => line.startsWith('›'))
    ?.trimEnd();
}

function matches(screen: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Processes whose command line or environment mention `text`, this process excepted. */
function processesNaming(text: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const command = commandLine(pid);
    let environment = '';
    try {
      environment = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      // gone, or not ours to read
    }
    if (command.includes(text) || environment.includes(text)) found.push({ pid, command });
  }
  return found;
}

// SIGTERM, up to 5 s to go, then SIGKILL.
async function killAndWait(processes: ProcessInfo[]): Promise<void> {
  for (const info of processes) signal(info.pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (processes.some((info) => alive(info.pid)) && Date.now() < deadline) await delay(100);
  for (const info of processes) if (alive(info.pid)) signal(info.pid, 'SIGKILL');
  while (processes.some((info) => alive(info.pid)) && Date.now() < deadline + 2_000) await delay(100);
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; its state in /proc/<pid>/stat is Z.
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function squash(text: string): string {
  return text.replace(/\s+/g, '');
}
