/**
 * The one file that pins what the local stack runs. Each pin matches what the cluster runs,
 * so a test that passes here exercises the same server versions as production.
 */
export const VERSIONS = {
  /** Apache Kafka broker jars from Maven Central; Strimzi 1.2.0 runs Kafka 4.3.1. */
  kafka: '4.3.1',
  /** Logging for the broker, as Kafka's distribution ships it (Log4j 2 behind SLF4J 2). */
  log4j: '2.26.1',
  slf4j: '2.0.17',
  /** go.temporal.io/server: the server version of Temporal Helm chart 1.6.0. */
  temporalServer: '1.31.2',
  /** github.com/temporalio/cli: admin tool (namespace create/describe, workflow show). */
  temporalCli: '1.5.1',
} as const;

/** Go module paths that the Temporal binaries build from. */
export const TEMPORAL_MODULES = {
  server: 'go.temporal.io/server/cmd/server',
  sqlTool: 'go.temporal.io/server/cmd/tools/sql',
  cli: 'github.com/temporalio/cli/cmd/temporal',
} as const;
