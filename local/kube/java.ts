/** Finds a Java runtime new enough for a tool (Strimzi's CRD generator is compiled for Java 21). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '../config.js';
import { run, StackError } from '../lib/proc.js';

async function majorOf(java: string): Promise<number> {
  try {
    const out = await run(java, ['-version']);
    const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
    if (!m) return 0;
    return m[1] === '1' ? Number(m[2]) : Number(m[1]);
  } catch {
    return 0;
  }
}

/** The newest `java` among $JAVA_HOME, PATH and /usr/lib/jvm/* whose major version is >= `min`. */
export async function findJava(min: number): Promise<string> {
  const candidates = new Set<string>();
  const { javaHome } = loadStackConfig().toolchain;
  if (javaHome) candidates.add(join(javaHome, 'bin', 'java'));
  candidates.add('java');
  if (existsSync('/usr/lib/jvm')) {
    for (const d of readdirSync('/usr/lib/jvm')) candidates.add(join('/usr/lib/jvm', d, 'bin', 'java'));
  }
  let best: { java: string; major: number } | undefined;
  for (const java of candidates) {
    if (java !== 'java' && !existsSync(java)) continue;
    const major = await majorOf(java);
    if (major >= min && (!best || major > best.major)) best = { java, major };
  }
  if (!best)
    throw new StackError(
      `a Java runtime >= ${min} is needed (set JAVA_HOME to one, or install a JDK ${min}+)`,
    );
  return best.java;
}
