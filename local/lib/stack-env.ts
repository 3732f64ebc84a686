/**
 * The environment that the local stack's settings are read from (local/config.ts, lib/paths.ts): the
 * process's own, or the process's with one stack instance's settings laid over it. The chaos run
 * selects its instance (its own ports and state directory) here instead of writing process.env, so
 * that the switch is explicit, confined to stack code, and not inherited by every child process.
 */
let instance: Readonly<Record<string, string>> = {};

/** Lays `settings` (variable → value) over the process environment for all stack code of this process. */
export function selectStackInstance(settings: Readonly<Record<string, string>>): void {
  instance = { ...settings };
}

export function stackEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...instance };
}
