/**
 * Headless Chromium for the test that opens the Temporal Web UI: Debian's chromium package,
 * installed on first use when the tests run as root (a fresh CI machine), else named as missing.
 */
import { run, StackError } from '../lib/proc.js';
import { which } from '../toolchain.js';
import { progress } from './go.js';

export async function ensureChromium(): Promise<string> {
  const found = which('chromium');
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new StackError(
      "'chromium' not found on PATH; install Debian's package: apt-get install -y chromium",
    );
  progress("installing Debian's chromium package (first run only: about a minute)");
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
  } catch {
    // A machine whose package lists are older than the archive: refresh them once.
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { env });
  }
  progress(`installed chromium in ${Math.round((Date.now() - started) / 1000)} s`);
  const installed = which('chromium');
  if (!installed) throw new StackError('apt-get installed chromium, but it is not on PATH');
  return installed;
}

/** Loads a page headless and returns its DOM once its scripts have settled (virtual time). */
export async function renderedDom(chromium: string, url: string, budgetMs = 20_000): Promise<string> {
  return run(chromium, [...HEADLESS, `--virtual-time-budget=${budgetMs}`, '--dump-dom', url]);
}

/** A PNG of the page once its scripts have settled. */
export async function screenshot(
  chromium: string,
  url: string,
  file: string,
  size = '1400,900',
  budgetMs = 20_000,
): Promise<void> {
  await run(chromium, [
    ...HEADLESS,
    `--virtual-time-budget=${budgetMs}`,
    `--window-size=${size}`,
    `--screenshot=${file}`,
    url,
  ]);
}

// --no-sandbox: the tests run as root on CI, where Chromium's sandbox refuses to start.
const HEADLESS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
];
