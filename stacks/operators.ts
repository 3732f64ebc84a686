import { alertmanagerConfig, alertmanagerSecrets } from './observability/alert-routing.js';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/types.js';
import { ApproverPolicyOperator } from './constructs/approver-policy-operator.js';
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
import {
  clusterIssuerSigner,
  platformCaIssuers,
  type CertificateApproval,
} from './lib/certificate-approval.js';

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
  /** approver-policy decides the platform CA's requests: the platform layer gives the CA this. */
  public readonly certificateApproval: CertificateApproval;

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
    // cert-manager approves what namespaced Issuers and the self-signed root's issuer sign; the
    // platform CA's requests are approver-policy's to decide (decision 0115).
    const caIssuers = platformCaIssuers();
    const certManager = new CertManagerOperator(this, 'cert-manager', {
      namespace: ns.names.operators,
      autoApproveSignerNames: [
        'issuers.cert-manager.io/*',
        clusterIssuerSigner(caIssuers.selfSigned),
        ...config.operators.autoApprovedClusterIssuers.map(clusterIssuerSigner),
      ],
      adoptExistingCrds,
      dependsOn: afterMonitoring,
    });
    this.certManagerNamespace = certManager.clusterResourceNamespace;
    new ApproverPolicyOperator(this, 'approver-policy', {
      namespace: ns.names.operators,
      approveSignerNames: [clusterIssuerSigner(caIssuers.ca)],
      adoptExistingCrds,
      dependsOn: [certManager.release],
    });
    this.certificateApproval = { requester: certManager.requester };
    // Backups and restores of the Postgres clusters (ObjectStore, plugin method): beside the operator.
    new BarmanCloudPlugin(this, 'barman-cloud', {
      namespace: ns.names.operators,
      adoptExistingCrds,
      dependsOn: [cnpg.release, certManager.release],
    });
  }
}
