import { TEMPORAL_UI_VERSION } from '../stacks/lib/operator-pins.js';

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
  /** github.com/temporalio/ui-server/v2: the Temporal Web UI (its built assets ship in the module). */
  temporalUi: TEMPORAL_UI_VERSION,
} as const;

/** Go toolchain that the UI server's module asks for (go.mod `go 1.26.10`); fetched as a module. */
export const TEMPORAL_UI_TOOLCHAIN = 'go1.26.10';

/**
 * Two of the UI server's dependencies at the exact versions its go.mod names (go.temporal.io/api
 * v1.64.0, echo v4.16.1) are not served by the module proxy this project builds from; their next
 * patch releases are. The UI builds in a generated module that requires these (Go's minimal
 * version selection then takes them).
 */
export const TEMPORAL_UI_REQUIRES = {
  'go.temporal.io/api': 'v1.64.1',
  'github.com/labstack/echo/v4': 'v4.16.4',
} as const;

/** Go module paths that the Temporal binaries build from. */
export const TEMPORAL_MODULES = {
  sqlTool: 'go.temporal.io/server/cmd/tools/sql',
  cli: 'github.com/temporalio/cli/cmd/temporal',
  ui: 'github.com/temporalio/ui-server/v2/cmd/server',
} as const;
