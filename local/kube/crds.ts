/**
 * CustomResourceDefinitions of the pinned operators, read from their published artifacts and
 * cached under <cacheDir>/kube/crds/<operator>-<version>/ (never copied into the repository). The
 * stacks apply them (synth reads them from here) and the local API server serves them:
 *   - Strimzi publishes its API classes (io.strimzi:api) and its generator (io.strimzi:crd-generator)
 *     to Maven Central but no CRD YAML there, so we run the generator the way Strimzi's own build does.
 *   - CloudNativePG, its Barman Cloud plugin, KEDA, prometheus-operator, cert-manager and its
 *     approver-policy ship CRD YAML inside their Go module zips.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { cacheDir } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { goEnv, progress } from '../tools/go.js';
import { withLock } from '../tools/lock.js';
import { crdSetDir, listYaml, readCrdSet } from '../../stacks/lib/crd-cache.js';
import { OPERATOR_NAMES, OPERATOR_PINS, type OperatorName } from '../../stacks/lib/operator-pins.js';
import type { KubeObject } from './client.js';
import { findJava } from './java.js';

export interface CrdSet {
  readonly operator: OperatorName;
  readonly version: string;
  /** The YAML files, one or more CRDs each. */
  readonly files: readonly string[];
}

/** Where each operator's CRD YAML sits in its Go module (Strimzi is generated: strimziCrds). */
const GO_SOURCES = {
  'cloudnative-pg': { module: 'github.com/cloudnative-pg/cloudnative-pg', dir: 'config/crd/bases' },
  keda: { module: 'github.com/kedacore/keda/v2', dir: 'config/crd/bases' },
  'prometheus-operator': {
    module: 'github.com/prometheus-operator/prometheus-operator',
    dir: 'example/prometheus-operator-crd',
  },
  'plugin-barman-cloud': { module: 'github.com/cloudnative-pg/plugin-barman-cloud', dir: 'config/crd/bases' },
  'cert-manager': { module: 'github.com/cert-manager/cert-manager', dir: 'deploy/crds' },
  'approver-policy': { module: 'github.com/cert-manager/approver-policy', dir: 'deploy/crds' },
} as const satisfies Record<Exclude<OperatorName, 'strimzi'>, { module: string; dir: string }>;

/** A Go module version: release tags carry a `v`, some charts' appVersion does not. */
const moduleVersion = (appVersion: string): string =>
  appVersion.startsWith('v') ? appVersion : `v${appVersion}`;

/** The custom resources Strimzi's api module generates CRDs for (its pom's crd-generator execution). */
const STRIMZI_KINDS = {
  'kafka.strimzi.io_kafkas.yaml': 'io.strimzi.api.kafka.model.kafka.Kafka',
  'kafka.strimzi.io_kafkanodepools.yaml': 'io.strimzi.api.kafka.model.nodepool.KafkaNodePool',
  'kafka.strimzi.io_kafkatopics.yaml': 'io.strimzi.api.kafka.model.topic.KafkaTopic',
  'kafka.strimzi.io_kafkausers.yaml': 'io.strimzi.api.kafka.model.user.KafkaUser',
  'kafka.strimzi.io_kafkaconnects.yaml': 'io.strimzi.api.kafka.model.connect.KafkaConnect',
  'kafka.strimzi.io_kafkaconnectors.yaml': 'io.strimzi.api.kafka.model.connector.KafkaConnector',
  'kafka.strimzi.io_kafkabridges.yaml': 'io.strimzi.api.kafka.model.bridge.KafkaBridge',
  'kafka.strimzi.io_kafkamirrormaker2s.yaml': 'io.strimzi.api.kafka.model.mirrormaker2.KafkaMirrorMaker2',
  'kafka.strimzi.io_kafkarebalances.yaml': 'io.strimzi.api.kafka.model.rebalance.KafkaRebalance',
  'core.strimzi.io_strimzipodsets.yaml': 'io.strimzi.api.kafka.model.podset.StrimziPodSet',
} as const;

/** The cache's root, laid out as stacks/lib/crd-cache.ts says. */
export function crdCacheRoot(): string {
  return join(cacheDir(), 'kube', 'crds');
}

const crdDir = (operator: OperatorName, version: string): string =>
  crdSetDir(crdCacheRoot(), operator, version);

/** Fills `dir` through `fill(staging)`; the rename makes a half-done download invisible. */
async function cached(
  operator: OperatorName,
  version: string,
  fill: (staging: string) => Promise<void>,
): Promise<CrdSet> {
  const dir = crdDir(operator, version);
  if (!existsSync(dir)) {
    await withLock(join(cacheDir(), 'kube', 'crds'), `${operator}-${version}`, async () => {
      if (existsSync(dir)) return;
      const staging = `${dir}.partial-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      const started = Date.now();
      progress(`fetching ${operator} ${version} CRDs; first time only`);
      try {
        await fill(staging);
        if (listYaml(staging).length === 0)
          throw new StackError(`no CRD YAML obtained for ${operator} ${version}`);
        renameSync(staging, dir);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
      progress(`fetched ${operator} ${version} CRDs in ${Math.round((Date.now() - started) / 1000)} s`);
    });
  }
  return { operator, version, files: listYaml(dir) };
}

async function goModuleCrds(operator: Exclude<OperatorName, 'strimzi'>, appVersion: string): Promise<CrdSet> {
  const src = GO_SOURCES[operator];
  const version = moduleVersion(appVersion);
  return cached(operator, appVersion, async (staging) => {
    const out = await run('go', ['mod', 'download', '-json', `${src.module}@${version}`], {
      env: goEnv(),
      cwd: staging,
    });
    const info = JSON.parse(out) as { Dir?: string; Error?: string };
    if (!info.Dir)
      throw new StackError(
        `go mod download ${src.module}@${version}: ${info.Error ?? 'no module directory'}`,
      );
    for (const file of listYaml(join(info.Dir, src.dir))) {
      copyFileSync(file, join(staging, basename(file)));
    }
  });
}

async function strimziCrds(version: string): Promise<CrdSet> {
  return cached('strimzi', version, async (staging) => {
    const java = await findJava(21);
    const work = join(cacheDir(), 'kube', 'crds', `.strimzi-${version}-build`);
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, 'pom.xml'),
      `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>localbuild</groupId><artifactId>strimzi-crds</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>${version}</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
    );
    const classpathFile = join(work, 'classpath.txt');
    await run(
      'mvn',
      [
        '-q',
        '-B',
        'dependency:build-classpath',
        `-Dmdep.outputFile=${classpathFile}`,
        `-Dmaven.repo.local=${join(cacheDir(), 'maven')}`,
      ],
      { cwd: work },
    ).catch((err: unknown) => {
      if (err instanceof StackError && err.message.startsWith('command not found')) {
        throw new StackError(
          'Maven (mvn) is needed to fetch the Strimzi CRD generator: apt-get install -y maven',
        );
      }
      throw err;
    });
    const classpath = readFileSync(classpathFile, 'utf8').trim();
    // The same flags as the crd-generator execution in Strimzi's api/pom.xml.
    await run(
      java,
      [
        '-cp',
        classpath,
        'io.strimzi.crdgenerator.CrdGenerator',
        '--label',
        'app:strimzi',
        '--label',
        'strimzi.io/crd-install:true',
        '--target-kube',
        '1.16+',
        '--crd-api-version',
        'v1',
        '--api-versions',
        'v1',
        '--storage-version',
        'v1',
        '--yaml',
        ...Object.entries(STRIMZI_KINDS).map(([file, cls]) => `${cls}=${join(staging, file)}`),
      ],
      { cwd: work },
    );
  });
}

/** One operator's CRD files at a version (its pinned one unless given), fetched or generated once. */
export async function ensureCrdSet(operator: OperatorName, appVersion?: string): Promise<CrdSet> {
  const version = appVersion ?? OPERATOR_PINS[operator].appVersion;
  return operator === 'strimzi' ? strimziCrds(version) : goModuleCrds(operator, version);
}

/** Every pinned operator's CRD files: what the stacks apply and the local API server serves. */
export async function ensureCrdFiles(): Promise<CrdSet[]> {
  const sets: CrdSet[] = [];
  for (const operator of OPERATOR_NAMES) sets.push(await ensureCrdSet(operator));
  return sets;
}

/** The CRD objects of one operator at a version, from the cache (ensureCrdSet fills it). */
export function readCrdObjects(operator: OperatorName, appVersion: string): KubeObject[] {
  return readCrdSet(crdCacheRoot(), operator, appVersion) as KubeObject[];
}
