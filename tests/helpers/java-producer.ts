/**
 * Produces records with Kafka's own console producer (the Java client from the broker jars the local
 * stack caches), so that tests see what a producer that is not kafkajs writes: its codecs, its
 * snappy framing, its batching.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_KAFKA_SASL_MECHANISM, LOCAL_KAFKA_USERS, type StackEndpoints } from '../../local/config.js';
import { ensureKafkaInstalled } from '../../local/kafka.js';

export type JavaCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface JavaRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * Sends `records` to `topic` (partitioned by key), compressed with `codec`; resolves when the JVM exits 0.
 * The records are streamed to the JVM as they are iterated, so a backlog of millions need not be in memory.
 */
export async function javaConsoleProduce(
  ep: StackEndpoints,
  topic: string,
  codec: JavaCodec,
  records: Iterable<JavaRecord>,
): Promise<void> {
  const libs = await ensureKafkaInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'java-producer-'));
  const { username, password } = LOCAL_KAFKA_USERS.admin;
  const config = join(dir, 'client.properties');
  writeFileSync(
    config,
    [
      'security.protocol=SASL_PLAINTEXT',
      `sasl.mechanism=${LOCAL_KAFKA_SASL_MECHANISM.toUpperCase()}`,
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`,
      // One batch for the lot, as a busy producer would send it.
      'linger.ms=200',
      'batch.size=1048576',
    ].join('\n'),
  );
  try {
    const args = [
      '-cp',
      `${libs}/*`,
      '-Dlog4j2.level=WARN',
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      ep.kafkaBrokers.join(','),
      '--topic',
      topic,
      '--command-config',
      config,
      // The console producer's own option: it overrides compression.type from the config file.
      '--compression-codec',
      codec,
      '--property',
      'parse.key=true',
      '--property',
      'key.separator=\t',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn('java', args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`console producer (${codec}) exited ${code}: ${stderr.slice(-2000)}`)),
      );
      void writeLines(child.stdin, records).catch(reject);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the records as key<TAB>value lines in chunks of about 1 MiB, waiting whenever the pipe is full. */
async function writeLines(stdin: Writable, records: Iterable<JavaRecord>): Promise<void> {
  let chunk = '';
  for (const r of records) {
    chunk += `${r.key}\t${r.value}\n`;
    if (chunk.length < 1 << 20) continue;
    if (!stdin.write(chunk)) await once(stdin, 'drain');
    chunk = '';
  }
  stdin.end(chunk);
}
