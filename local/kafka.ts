/**
 * Local Kafka: the Apache Kafka broker jars (resolved from Maven Central by local/kafka/pom.xml into
 * the cache), one combined broker+controller node in KRaft mode, data in this checkout's state dir.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { Kafka, type AclEntry } from 'kafkajs';
import { kafkaClientConfig, LOCAL_KAFKA_USERS, type StackConfig } from './config.js';
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

/**
 * Marks storage formatted with the SCRAM users below; storage from before (PLAINTEXT) is formatted
 * again, since KRaft bootstraps SCRAM credentials only at format time. v2: KEDA's lag reader added.
 */
const STORAGE_AUTH_MARKER = 'scram-sha-512.v2';

function brokerProperties(config: StackConfig, dataDir: string): string {
  const { port } = config.kafka.port;
  const controller = config.kafka.controllerPort.port;
  const admin = LOCAL_KAFKA_USERS.admin;
  return [
    '# Written by local/kafka.ts: one node that is both broker and KRaft controller.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controller}`,
    // Clients authenticate with SCRAM-SHA-512 as in the cluster (there over TLS; here on loopback).
    `listeners=BROKER://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=BROKER://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=BROKER',
    'listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.username}" password="${admin.password}";`,
    // ACLs are enforced: each service gets only the operations it needs (see grantServiceAcls).
    // KRaft does not offer SCRAM on the controller listener, so the node's own controller traffic
    // is ANONYMOUS on loopback and must be a super user.
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin.username};User:ANONYMOUS`,
    'allow.everyone.if.no.acl.found=false',
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
    // A broker started by an older checkout may lack an ACL added since (the worker's READ, 0008).
    await grantServiceAcls(brokers);
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
  const marker = join(dir, 'storage-auth');
  if (kafkaStorageOutdated()) {
    progress('kafka: local storage predates its SCRAM users; formatting it again (local data is discarded)');
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    progress('kafka: formatting KRaft storage (standalone controller, SCRAM-SHA-512 users)');
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
      ...Object.values(LOCAL_KAFKA_USERS).flatMap((u) => [
        '--add-scram',
        `SCRAM-SHA-512=[name=${u.username},password=${u.password}]`,
      ]),
    ]);
    writeFileSync(marker, `${STORAGE_AUTH_MARKER}\n`);
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
  await grantServiceAcls(brokers);
}

/**
 * Storage formatted before the SCRAM users existed. Formatting it again restarts every offset at 0, so
 * the caller must discard Temporal's batch workflows too (their IDs are offsets): see stack.ts.
 */
export function kafkaStorageOutdated(): boolean {
  const dir = join(stateDir(), 'kafka');
  const marker = join(dir, 'storage-auth');
  const formattedWithScram =
    existsSync(marker) && readFileSync(marker, 'utf8').trim() === STORAGE_AUTH_MARKER;
  return existsSync(join(dir, 'data', 'meta.properties')) && !formattedWithScram;
}

/**
 * A random base64url UUID, the format StorageTool expects for a cluster id. Never one that starts
 * with '-': the tool's argument parser takes it for an option and the format fails (1 start in 64
 * did, in a CI rehearsal). Kafka's own Uuid.randomUuid() skips those for the same reason.
 */
export function kafkaClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ready means the broker answers metadata and has a controller. */
async function waitKafkaReady(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    ...kafkaClientConfig({ kafkaBrokers: brokers }, 'stack-health'),
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

// Enums that kafkajs (CommonJS) exposes only on its default export under ESM.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/**
 * Least privilege by operation, as the cluster's KafkaUsers grant it: the bridge consumes, commits and
 * dead-letters; the worker only produces. Topic names are a wildcard here because every test run
 * works on its own prefixed topics; the cluster's ACLs name the topics (stacks/constructs/kafka-user.ts).
 */
const SERVICE_ACLS: ReadonlyArray<{
  principal: string;
  resourceType: kafkajs.AclResourceTypes;
  operations: kafkajs.AclOperationTypes[];
}> = [
  {
    principal: LOCAL_KAFKA_USERS.bridge.username,
    resourceType: AclResourceTypes.TOPIC,
    operations: [AclOperationTypes.READ, AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE],
  },
  {
    principal: LOCAL_KAFKA_USERS.bridge.username,
    resourceType: AclResourceTypes.GROUP,
    operations: [AclOperationTypes.READ, AclOperationTypes.DESCRIBE],
  },
  {
    // READ: the worker fetches each batch's range itself (claim check); it never joins a group.
    principal: LOCAL_KAFKA_USERS.worker.username,
    resourceType: AclResourceTypes.TOPIC,
    operations: [AclOperationTypes.READ, AclOperationTypes.WRITE, AclOperationTypes.DESCRIBE],
  },
  // KEDA's lag reader: offsets and the group's commits, nothing it could consume or write.
  {
    principal: LOCAL_KAFKA_USERS.lagReader.username,
    resourceType: AclResourceTypes.TOPIC,
    operations: [AclOperationTypes.DESCRIBE],
  },
  {
    principal: LOCAL_KAFKA_USERS.lagReader.username,
    resourceType: AclResourceTypes.GROUP,
    operations: [AclOperationTypes.DESCRIBE],
  },
];

/** Creates the service ACLs (idempotent: the broker ignores an ACL that exists). */
async function grantServiceAcls(brokers: string[]): Promise<void> {
  const admin = new Kafka(kafkaClientConfig({ kafkaBrokers: brokers }, 'stack-acls')).admin();
  await admin.connect();
  try {
    const acl: AclEntry[] = SERVICE_ACLS.flatMap((a) =>
      a.operations.map((operation) => ({
        resourceType: a.resourceType,
        resourceName: '*',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: `User:${a.principal}`,
        host: '*',
        operation,
        permissionType: AclPermissionTypes.ALLOW,
      })),
    );
    await admin.createAcls({ acl });
  } finally {
    await admin.disconnect();
  }
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
