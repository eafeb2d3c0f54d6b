// `codex-auth config [get <name> | set <name> <value> | unset <name>]`: codex-auth's own settings
// (settings.json, through conf). Environment variables still win for one shell.
import { CodexAuthError } from '../errors.ts';
import { DEFAULT_SETTINGS, loadSettings, openSettings, settingsFile, settingsFromEnv, type SettingName } from '../store/settings.ts';
import type { CliContext } from './context.ts';

export interface ConfigOptions {
  action?: 'get' | 'set' | 'unset';
  name?: string;
  value?: string;
  json: boolean;
}

const ENVIRONMENT: Record<SettingName, string> = { proxy: 'CODEX_AUTH_PROXY', refreshMarginMinutes: 'CODEX_AUTH_REFRESH_MARGIN' };

function settingName(name: string | undefined): SettingName {
  if (name !== undefined && name in DEFAULT_SETTINGS) return name as SettingName;
  throw new CodexAuthError({
    kind: 'usage',
    step: 'settings',
    message: `unknown setting ${name ?? '(none given)'}`,
    hint: `settings: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`,
  });
}

function parseValue(name: SettingName, text: string | undefined): boolean | number {
  if (name === 'proxy' && text !== undefined && /^(true|on|yes|1|false|off|no|0)$/i.test(text)) return /^(true|on|yes|1)$/i.test(text);
  if (name === 'refreshMarginMinutes' && text !== undefined && /^\d+(\.\d+)?$/.test(text)) return Number(text);
  throw new CodexAuthError({
    kind: 'usage',
    step: 'settings',
    message: `${name} cannot be set to ${text ?? '(nothing)'}`,
    hint: name === 'proxy' ? 'use true or false' : 'use a number of minutes, e.g. 15',
  });
}

/** `config get <name>`: the value in effect alone on stdout, for scripts (as `gh config get`). */
async function printSetting(ctx: CliContext, name: SettingName, json: boolean): Promise<number> {
  const value = (await loadSettings(ctx.paths, ctx.env))[name];
  const source = name in settingsFromEnv(ctx.env) ? ENVIRONMENT[name] : undefined;
  if (json) ctx.out.printJson({ name, value, ...(source ? { source } : {}) });
  else ctx.out.print(String(value));
  return 0;
}

export async function runConfig(ctx: CliContext, options: ConfigOptions): Promise<number> {
  if (options.action === 'get') return printSetting(ctx, settingName(options.name), options.json);
  if (options.action) {
    const name = settingName(options.name);
    // A bad value is refused before settings.json (or its directory) is created.
    const value = options.action === 'set' ? parseValue(name, options.value) : undefined;
    const settings = await openSettings(ctx.paths);
    if (value === undefined) settings.delete(name);
    else settings.set(name, value);
  }
  const effective = await loadSettings(ctx.paths, ctx.env);
  const fromEnv = settingsFromEnv(ctx.env);
  if (options.json) {
    ctx.out.printJson({ file: settingsFile(ctx.paths), settings: effective });
    return 0;
  }
  ctx.out.print(`settings: ${settingsFile(ctx.paths)}`);
  for (const name of Object.keys(DEFAULT_SETTINGS) as SettingName[]) {
    const note = name in fromEnv ? ctx.out.color.dim(` (from ${ENVIRONMENT[name]})`) : '';
    ctx.out.print(`  ${name} = ${String(effective[name])}${note}`);
  }
  return 0;
}
