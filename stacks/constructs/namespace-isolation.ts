import {
  NetworkPolicyV1,
  type NetworkPolicyV1SpecEgress,
  type NetworkPolicyV1SpecIngress,
} from '@cdktf/provider-kubernetes/lib/network-policy-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { NamespacesConfig } from '../config/types.js';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';

const DEFAULTS = {
  /**
   * Where the Kubernetes API server is, as seen from pods. A cluster-specific CIDR is tighter; the
   * default admits any address but only on the API ports.
   */
  apiServerCidrs: ['0.0.0.0/0'] as readonly string[],
  apiServerPorts: [443, 6443] as readonly number[],
  /** Ports Prometheus scrapes on node addresses: node-exporter (host network) and the kubelet. */
  nodeScrapePorts: [9100, 10250] as readonly number[],
  /** Ports the API server calls back on: admission webhooks and the KEDA metrics API. */
  webhookPorts: [443, 6443, 8443, 9443, 10250] as readonly number[],
  dnsNamespace: 'kube-system',
  dnsPodLabels: { 'k8s-app': 'kube-dns' } as Readonly<Record<string, string>>,
  /** Service ports of the data plane, as the clients dial them. */
  ports: { kafka: 9093, postgres: 5432, temporal: 7233, alertmanager: 9093 },
  /** Where Alertmanager's receivers listen (PagerDuty, Slack, webhooks: HTTPS). */
  notificationPorts: [443] as readonly number[],
};

export interface NamespaceIsolationProps {
  readonly namespaces: NamespacesConfig;
  /**
   * CIDRs of the API server endpoints: egress of the pods that call it, ingress of the webhooks it
   * calls (config `kubernetes.apiServerCidrs`).
   * @default ['0.0.0.0/0'] (API and webhook ports only)
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
   */
  readonly apiServerCidrs?: readonly string[];
  /** Labels of the cluster DNS pods in `kube-system`. @default { 'k8s-app': 'kube-dns' } */
  readonly dnsPodLabels?: Readonly<Record<string, string>>;
  /**
   * Backups leave the cluster (object storage over HTTPS) from the postgres namespace.
   * @default false
   */
  readonly postgresBackupEgress?: boolean;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

type Peer = { namespace?: string; cidrs?: readonly string[] };
type Rule = { peers: Peer[]; ports?: readonly number[] };

/**
 * Default-deny NetworkPolicies in every platform namespace, plus the flows the platform needs,
 * each its own named policy so a denied connection points at the missing one:
 * DNS for all; the API server for operators, monitoring, Kafka's entity operator and CNPG instances;
 * pipeline → Kafka, Temporal, Postgres; Temporal → Postgres; operators → the namespaces they manage;
 * Prometheus scraping everything. Policies are additive: Strimzi's and our charts' own per-pod
 * policies narrow further within these.
 *
 * @example
 * new NamespaceIsolation(this, 'isolation', { namespaces: config.namespaces, dependsOn: ns.all });
 */
export class NamespaceIsolation extends Construct {
  /** Policy names per namespace, for tests and docs. */
  public readonly policies: Readonly<Record<string, readonly string[]>>;

  constructor(scope: Construct, id: string, props: NamespaceIsolationProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props, apiServerCidrs: props.apiServerCidrs ?? DEFAULTS.apiServerCidrs };
    const ns = p.namespaces;
    const dependsOn = [...(p.dependsOn ?? [])];
    const policies: Record<string, string[]> = {};
    const apiServer: Peer = { cidrs: p.apiServerCidrs };
    const anywhere: Peer = { cidrs: ['0.0.0.0/0', '::/0'] };
    const inNamespace = (namespace: string): Peer => ({ namespace });

    type PeerSpec = {
      namespaceSelector?: { matchLabels: Record<string, string> };
      ipBlock?: { cidr: string };
    };
    const selectorPeer = (peer: Peer): PeerSpec[] =>
      peer.namespace
        ? [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peer.namespace } } }]
        : (peer.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }));
    const ports = (list?: readonly number[]) =>
      list?.map((port) => ({ port: String(port), protocol: 'TCP' }));

    const policy = (
      namespace: string,
      name: string,
      rules: { ingress?: Rule[]; egress?: (Rule | NetworkPolicyV1SpecEgress)[]; deny?: true },
    ) => {
      const types = rules.deny
        ? ['Ingress', 'Egress']
        : [...(rules.ingress ? ['Ingress'] : []), ...(rules.egress ? ['Egress'] : [])];
      const ingress: NetworkPolicyV1SpecIngress[] | undefined = rules.ingress?.map((r) => ({
        from: r.peers.flatMap(selectorPeer),
        ...(r.ports ? { ports: ports(r.ports) } : {}),
      }));
      const egress: NetworkPolicyV1SpecEgress[] | undefined = rules.egress?.map((r) =>
        'peers' in r
          ? { to: r.peers.flatMap(selectorPeer), ...(r.ports ? { ports: ports(r.ports) } : {}) }
          : r,
      );
      new NetworkPolicyV1(this, `${namespace}-${name}`, {
        metadata: { name, namespace, labels: { ...MANAGED_LABELS } },
        spec: {
          podSelector: {},
          policyTypes: types,
          ...(ingress ? { ingress } : {}),
          ...(egress ? { egress } : {}),
        },
        dependsOn,
      });
      (policies[namespace] ??= []).push(name);
    };

    const dns: NetworkPolicyV1SpecEgress = {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.dnsNamespace } },
          podSelector: { matchLabels: { ...p.dnsPodLabels } },
        },
      ],
      ports: [
        { port: '53', protocol: 'UDP' },
        { port: '53', protocol: 'TCP' },
      ],
    };

    for (const namespace of Object.values(ns)) {
      policy(namespace, 'default-deny', { deny: true });
      policy(namespace, 'allow-dns', { egress: [dns] });
      // Pods of one namespace talk to each other (brokers, replicas, Temporal services, Grafana → Prometheus).
      policy(namespace, 'allow-same-namespace', {
        ingress: [{ peers: [inNamespace(namespace)] }],
        egress: [{ peers: [inNamespace(namespace)] }],
      });
      if (namespace !== ns.monitoring) {
        policy(namespace, 'allow-monitoring-scrape', { ingress: [{ peers: [inNamespace(ns.monitoring)] }] });
      }
    }

    // Operators: reconcile through the API server, are called back by it (webhooks, metrics API),
    // and reach the workloads they manage (Strimzi → brokers, CNPG → instance manager, KEDA → Kafka
    // and Temporal for scaling signals).
    policy(ns.operators, 'allow-api-server', {
      egress: [{ peers: [apiServer], ports: p.apiServerPorts }],
      // Webhooks and the KEDA metrics API are called by the API server only.
      ingress: [{ peers: [apiServer], ports: p.webhookPorts }],
    });
    policy(ns.operators, 'allow-to-managed', {
      egress: [{ peers: [ns.kafka, ns.postgres, ns.temporal, ns.pipeline].map(inNamespace) }],
    });
    for (const managed of [ns.kafka, ns.postgres, ns.temporal]) {
      policy(managed, 'allow-from-operators', { ingress: [{ peers: [inNamespace(ns.operators)] }] });
    }
    // Monitoring: Prometheus scrapes every namespace, and node-exporter and the kubelet on node
    // addresses (host network: no pod selector reaches them); Prometheus, its operator,
    // kube-state-metrics and Grafana's sidecar use the API server; the operator's admission webhook
    // is called by it.
    policy(ns.monitoring, 'allow-scrape-and-api', {
      egress: [
        {
          peers: Object.values(ns)
            .filter((n) => n !== ns.monitoring)
            .map(inNamespace),
        },
        { peers: [anywhere], ports: p.nodeScrapePorts },
        { peers: [apiServer], ports: p.apiServerPorts },
      ],
      ingress: [{ peers: [apiServer], ports: p.webhookPorts }],
    });
    // Data plane: Kafka's entity operator and CNPG's instance manager watch the API.
    policy(ns.kafka, 'allow-api-server', { egress: [{ peers: [apiServer], ports: p.apiServerPorts }] });
    policy(ns.postgres, 'allow-api-server', { egress: [{ peers: [apiServer], ports: p.apiServerPorts }] });
    policy(ns.kafka, 'allow-clients', {
      ingress: [{ peers: [inNamespace(ns.pipeline)], ports: [p.ports.kafka] }],
    });
    policy(ns.temporal, 'allow-clients', {
      ingress: [{ peers: [inNamespace(ns.pipeline)], ports: [p.ports.temporal] }],
    });
    policy(ns.temporal, 'allow-to-postgres', {
      egress: [{ peers: [inNamespace(ns.postgres)], ports: [p.ports.postgres] }],
    });
    policy(ns.postgres, 'allow-clients', {
      ingress: [{ peers: [inNamespace(ns.temporal), inNamespace(ns.pipeline)], ports: [p.ports.postgres] }],
    });
    if (p.postgresBackupEgress) {
      policy(ns.postgres, 'allow-backup-upload', { egress: [{ peers: [anywhere], ports: [443] }] });
    }
    policy(ns.pipeline, 'allow-to-data-plane', {
      egress: [
        { peers: [inNamespace(ns.kafka)], ports: [p.ports.kafka] },
        { peers: [inNamespace(ns.temporal)], ports: [p.ports.temporal] },
        { peers: [inNamespace(ns.postgres)], ports: [p.ports.postgres] },
      ],
    });
    // Escalations: the workers post device-alert transitions to Alertmanager, which notifies the
    // receivers outside the cluster (stacks/observability/alert-routing.ts).
    policy(ns.pipeline, 'allow-to-alertmanager', {
      egress: [{ peers: [inNamespace(ns.monitoring)], ports: [p.ports.alertmanager] }],
    });
    policy(ns.monitoring, 'allow-alert-posts', {
      ingress: [{ peers: [inNamespace(ns.pipeline)], ports: [p.ports.alertmanager] }],
    });
    policy(ns.monitoring, 'allow-notifications', {
      egress: [{ peers: [anywhere], ports: p.notificationPorts }],
    });
    this.policies = policies;
  }
}
