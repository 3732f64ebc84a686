import { readFileSync } from 'node:fs';
import type { DeployedRecord, EnvironmentName } from './types.js';

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8'));
}

/** The committed record of what is deployed (stacks/config/deployed-*.json). */
export function readDeployedRecord(): DeployedRecord {
  return {
    partitions: readJson('./deployed-partitions.json') as DeployedRecord['partitions'],
    shards: readJson('./deployed-shards.json') as DeployedRecord['shards'],
    kafka: readJson('./deployed-kafka.json') as DeployedRecord['kafka'],
    temporal: readJson('./deployed-temporal.json') as DeployedRecord['temporal'],
  };
}

/**
 * The deployed floor the capacity model must respect for one environment: the larger partition count
 * of the two high-volume topics (both are sized together) and the fixed shard count.
 */
export function deployedFloor(
  record: DeployedRecord,
  env: EnvironmentName,
): { partitions?: number; shards?: number } {
  const p = record.partitions[env];
  const counts = [p?.sensorData, p?.processed].filter((v): v is number => v !== undefined);
  return {
    ...(counts.length > 0 ? { partitions: Math.max(...counts) } : {}),
    ...(record.shards[env] !== undefined ? { shards: record.shards[env] } : {}),
  };
}
