import { alertmanagerConfig, alertmanagerSecrets } from './observability/alert-routing.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/types.js';
import { CertManagerOperator } from './constructs/cert-manager-operator.js';
import { BarmanCloudPlugin } from './constructs/barman-cloud-plugin.js';
import { CnpgOperator } from './constructs/cnpg-operator.js';
import { KedaOperator } from './constructs/keda-operator.js';
import { KubePrometheusStack, type MonitoringDiscovery } from './constructs/kube-prometheus-stack.js';
import { NamespaceIsolation } from './constructs/namespace-isolation.js';
import { PlanReader } from './constructs/plan-reader.js';
import { PlatformNamespaces } from './constructs/platform-namespaces.js';
import { StrimziOperator } from './constructs/strimzi-operator.js';
import { setupStack } from './stack-setup.js';

export interface OperatorsStackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Layer 1: namespaces (Pod Security `restricted`, default-deny NetworkPolicies with the platform's
 * flows), the read-only identity of pull-request plans, and every operator with its CRDs. kube-prometheus-stack goes first because the other charts
 * create ServiceMonitors/PodMonitors.
 */
export class OperatorsStack extends TerraformStack {
  public readonly discovery: MonitoringDiscovery;
  /** cert-manager's cluster resource namespace (where the platform CA's key pair lives). */
  public readonly certManagerNamespace: string;

  constructor(scope: Construct, id: string, props: OperatorsStackProps) {
    super(scope, id);
    const { config } = props;
    setupStack(this, config, id, true);
    const ns = new PlatformNamespaces(this, 'namespaces', { namespaces: config.namespaces });
    const { adoptExistingCrds } = config.operators;
    new NamespaceIsolation(this, 'isolation', {
      namespaces: ns.names,
      apiServerCidrs: config.kubernetes.apiServerCidrs,
      // The instances reach the object store to archive WAL, and to read a backup when restoring.
      postgresBackupEgress:
        config.postgres.backup.method === 'barmanCloudPlugin' || config.postgres.restore !== undefined,
      dependsOn: ns.all,
    });
    // Pull-request plans read as this identity: every kind the stacks manage, no Secret.
    new PlanReader(this, 'plan-reader', { namespace: ns.names.operators, dependsOn: ns.all });
    const kps = new KubePrometheusStack(this, 'kube-prometheus-stack', {
      namespace: ns.names.monitoring,
      nodeExporterNamespace: ns.hostAgents,
      retention: config.observability.prometheusRetention,
      alertmanager: {
        config: alertmanagerConfig(config.observability.alerting),
        secrets: alertmanagerSecrets(config.observability.alerting),
      },
      adoptExistingCrds,
      dependsOn: ns.all,
    });
    this.discovery = kps.discovery;
    const afterMonitoring = [...ns.all, kps.release];
    new StrimziOperator(this, 'strimzi', {
      namespace: ns.names.operators,
      watchNamespaces: [ns.names.kafka, ns.names.pipeline],
      adoptExistingCrds,
      dependsOn: afterMonitoring,
    });
    const cnpg = new CnpgOperator(this, 'cnpg', {
      namespace: ns.names.operators,
      adoptExistingCrds,
      dependsOn: afterMonitoring,
    });
    new KedaOperator(this, 'keda', {
      namespace: ns.names.operators,
      adoptExistingCrds,
      dependsOn: afterMonitoring,
    });
    const certManager = new CertManagerOperator(this, 'cert-manager', {
      namespace: ns.names.operators,
      adoptExistingCrds,
      dependsOn: afterMonitoring,
    });
    this.certManagerNamespace = certManager.clusterResourceNamespace;
    // Backups and restores of the Postgres clusters (ObjectStore, plugin method): beside the operator.
    new BarmanCloudPlugin(this, 'barman-cloud', {
      namespace: ns.names.operators,
      adoptExistingCrds,
      dependsOn: [cnpg.release, certManager.release],
    });
  }
}
