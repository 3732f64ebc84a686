/**
 * CustomResourceDefinitions of the pinned operators, read from their published artifacts and
 * cached under <cacheDir>/kube/crds/<operator>-<version>/ (never copied into the repository):
 *   - Strimzi publishes its API classes (io.strimzi:api) and its generator (io.strimzi:crd-generator)
 *     to Maven Central but no CRD YAML there, so we run the generator the way Strimzi's own build does.
 *   - CloudNativePG, its Barman Cloud plugin, KEDA, prometheus-operator and cert-manager ship CRD
 *     YAML inside their Go module zips.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
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
import { findJava } from './java.js';
import { OPERATORS } from './versions.js';

export interface CrdSet {
  readonly operator: string;
  readonly version: string;
  /** The YAML files, one or more CRDs each. */
  readonly files: readonly string[];
}

const GO_SOURCES = [
  {
    operator: 'cloudnative-pg',
    module: 'github.com/cloudnative-pg/cloudnative-pg',
    version: OPERATORS.cloudnativePg,
    dir: 'config/crd/bases',
  },
  {
    operator: 'keda',
    module: 'github.com/kedacore/keda/v2',
    version: OPERATORS.keda,
    dir: 'config/crd/bases',
  },
  {
    operator: 'prometheus-operator',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: OPERATORS.prometheusOperator,
    dir: 'example/prometheus-operator-crd',
  },
  {
    operator: 'plugin-barman-cloud',
    module: 'github.com/cloudnative-pg/plugin-barman-cloud',
    version: OPERATORS.barmanCloudPlugin,
    dir: 'config/crd/bases',
  },
  {
    operator: 'cert-manager',
    module: 'github.com/cert-manager/cert-manager',
    version: OPERATORS.certManager,
    dir: 'deploy/crds',
  },
] as const;

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

function crdDir(operator: string, version: string): string {
  return join(cacheDir(), 'kube', 'crds', `${operator}-${version}`);
}

function listYaml(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Fills `dir` through `fill(staging)`; the rename makes a half-done download invisible. */
async function cached(
  operator: string,
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

async function goModuleCrds(src: (typeof GO_SOURCES)[number]): Promise<CrdSet> {
  return cached(src.operator, src.version, async (staging) => {
    const out = await run('go', ['mod', 'download', '-json', `${src.module}@${src.version}`], {
      env: goEnv(),
      cwd: staging,
    });
    const info = JSON.parse(out) as { Dir?: string; Error?: string };
    if (!info.Dir)
      throw new StackError(
        `go mod download ${src.module}@${src.version}: ${info.Error ?? 'no module directory'}`,
      );
    for (const file of listYaml(join(info.Dir, src.dir))) {
      copyFileSync(file, join(staging, basename(file)));
    }
  });
}

async function strimziCrds(): Promise<CrdSet> {
  const version = OPERATORS.strimzi;
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

/** Every CRD set the IaC tests need, fetched or generated once. */
export async function ensureCrdFiles(): Promise<CrdSet[]> {
  const sets: CrdSet[] = [];
  for (const src of GO_SOURCES) sets.push(await goModuleCrds(src));
  sets.push(await strimziCrds());
  return sets;
}
