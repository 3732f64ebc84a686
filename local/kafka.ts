/**
 * Local Kafka: the Apache Kafka broker jars (resolved from Maven Central by local/kafka/pom.xml into
 * the cache), one combined broker+controller node in KRaft mode, data in this checkout's state dir.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { StackConfig } from './config.js';
import { cacheDir, repoRoot, stateDir } from './lib/paths.js';
import { assertPortFree, daemonPid, logFile, run, startDaemon, stopDaemon, waitFor } from './lib/proc.js';
import { progress } from './progress.js';
import { requireJava, requireMaven } from './toolchain.js';
import { VERSIONS } from './versions.js';

const NAME = 'kafka';

export function kafkaHome(): string {
  return join(cacheDir(), `kafka-${VERSIONS.kafka}`);
}

/** Resolves the broker's jars once; a marker file makes a half-finished download retry. */
export async function ensureKafkaInstalled(): Promise<string> {
  const home = kafkaHome();
  const libs = join(home, 'libs');
  if (existsSync(join(home, '.complete'))) return libs;
  requireMaven();
  progress(`kafka: resolving Apache Kafka ${VERSIONS.kafka} broker jars (first run only)`);
  const staging = `${libs}.partial`;
  rmSync(staging, { recursive: true, force: true });
  await run('mvn', [
    '-B',
    '-q',
    '-f',
    join(repoRoot, 'local', 'kafka', 'pom.xml'),
    `-Dkafka.version=${VERSIONS.kafka}`,
    `-Dlog4j.version=${VERSIONS.log4j}`,
    `-Dslf4j.version=${VERSIONS.slf4j}`,
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`,
  ]);
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(join(home, '.complete'), `${new Date().toISOString()}\n`);
  progress(`kafka: ${readdirSync(libs).length} jars in ${libs}`);
  return libs;
}

function brokerProperties(config: StackConfig, dataDir: string): string {
  const { port } = config.kafka.port;
  const controller = config.kafka.controllerPort.port;
  return [
    '# Written by local/kafka.ts: one node that is both broker and KRaft controller.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Topics come from the pipeline's definitions; a typo must fail, not create a new topic.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'num.network.threads=3',
    'num.io.threads=4',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=8',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=24',
    'log.segment.bytes=268435456',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'rootLogger.level=INFO',
  'rootLogger.appenderRef.stdout.ref=STDOUT',
  'appender.stdout.type=Console',
  'appender.stdout.name=STDOUT',
  'appender.stdout.layout.type=PatternLayout',
  'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
  // The state-change and request loggers are chatty at INFO and say nothing a local run needs.
  'logger.state.name=state.change.logger',
  'logger.state.level=WARN',
  'logger.controller.name=org.apache.kafka.controller',
  'logger.controller.level=WARN',
  '',
].join('\n');

export async function kafkaUp(config: StackConfig): Promise<void> {
  const libs = await ensureKafkaInstalled();
  const brokers = [`127.0.0.1:${config.kafka.port.port}`];
  if (daemonPid(NAME) !== undefined) {
    await waitKafkaReady(brokers);
    return;
  }
  await assertPortFree(config.kafka.port.port, config.kafka.port.envVar);
  await assertPortFree(config.kafka.controllerPort.port, config.kafka.controllerPort.envVar);
  const java = requireJava();
  const dir = join(stateDir(), 'kafka');
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const propsFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  writeFileSync(propsFile, brokerProperties(config, dataDir));
  writeFileSync(log4jFile, LOG4J2);
  const classpath = `${libs}/*`;
  const logging = `-Dlog4j2.configurationFile=${log4jFile}`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    progress('kafka: formatting KRaft storage (standalone controller)');
    await run(java, [
      '-cp',
      classpath,
      logging,
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      '-t',
      kafkaClusterId(),
      '-c',
      propsFile,
    ]);
  }
  progress(`kafka: starting broker ${VERSIONS.kafka} on ${brokers[0]}`);
  startDaemon({
    name: NAME,
    cmd: java,
    args: [
      `-Xms${Math.min(512, config.kafka.heapMb)}m`,
      `-Xmx${config.kafka.heapMb}m`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      logging,
      '-cp',
      classpath,
      'kafka.Kafka',
      propsFile,
    ],
  });
  await waitKafkaReady(brokers);
}

/** A random base64url UUID, the format StorageTool expects for a cluster id. */
function kafkaClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

/** Ready means the broker answers metadata and has a controller. */
async function waitKafkaReady(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'stack-health',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  await waitFor(
    `kafka on ${brokers.join(',')}`,
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    { timeoutMs: 90_000, daemon: NAME, intervalMs: 500 },
  );
}

export async function kafkaDown(): Promise<boolean> {
  return stopDaemon(NAME, 30_000);
}

export function kafkaStatus(config: StackConfig): string {
  const pid = daemonPid(NAME);
  return pid
    ? `running (pid ${pid}) on 127.0.0.1:${config.kafka.port.port}, Kafka ${VERSIONS.kafka}`
    : `stopped (log ${logFile(NAME)})`;
}
