/**
 * A simulated sensor fleet: per-device random walks with occasional heat spikes (alerts), device
 * re-sends (duplicate eventIds) and a share of malformed records (dead-letter path). Deterministic
 * for a seed, so a failing run can be replayed.
 */
import type { Message } from 'kafkajs';
import { SENSOR_DATA_SCHEMA_VERSION, type SensorData } from '../../workers/shared/events.js';
import { seededRandom } from '../lib/seeded-random.js';

export interface FleetOptions {
  readonly runId: string;
  readonly devices: number;
  readonly seed: number;
  /** Share of records that are malformed (0..1). */
  readonly malformedRate: number;
  /** Share of readings that a device sends twice (0..1). */
  readonly duplicateRate: number;
  /** Devices (by index) that run hot: their temperature crosses the alert threshold for a while. */
  readonly hotDevices: number;
}

export interface FleetCounts {
  produced: number;
  valid: number;
  duplicates: number;
  malformed: number;
  hotReadings: number;
}

const MALFORMED: readonly ((deviceId: string) => Message)[] = [
  (d) => ({ key: d, value: '{"schemaVersion":1,"eventId":' }),
  (d) => ({
    key: d,
    value: JSON.stringify({
      schemaVersion: 1,
      eventId: 'x',
      deviceId: d,
      timestamp: 'yesterday',
      readings: {},
    }),
  }),
  (d) => ({ key: d, value: JSON.stringify({ schemaVersion: 99, eventId: 'x', deviceId: d }) }),
  () => ({ key: null, value: JSON.stringify({ schemaVersion: 1 }) }),
  (d) => ({ key: d, value: Buffer.from([0xff, 0xfe, 0x7b]) }),
];

export class Fleet {
  readonly counts: FleetCounts = { produced: 0, valid: 0, duplicates: 0, malformed: 0, hotReadings: 0 };
  private readonly random: () => number;
  private readonly state: {
    temperature: number;
    humidity: number;
    pressure: number;
    battery: number;
    seq: number;
  }[];
  private readonly ids: string[];
  private lastValid: { key: string; value: string } | undefined;
  private tick = 0;

  constructor(private readonly opts: FleetOptions) {
    this.random = seededRandom(opts.seed);
    this.ids = Array.from(
      { length: opts.devices },
      (_, i) => `${opts.runId}-dev-${String(i).padStart(5, '0')}`,
    );
    this.state = this.ids.map(() => ({
      temperature: 20 + this.random() * 10,
      humidity: 40 + this.random() * 20,
      pressure: 1000 + this.random() * 20,
      battery: 60 + this.random() * 40,
      seq: 0,
    }));
  }

  get deviceIds(): readonly string[] {
    return this.ids;
  }

  /** The next `count` records, round-robin over the fleet. */
  next(count: number, now = Date.now()): Message[] {
    const out: Message[] = [];
    for (let n = 0; n < count; n++) {
      const r = this.random();
      if (r < this.opts.malformedRate) {
        const d = this.ids[Math.floor(this.random() * this.ids.length)]!;
        out.push(MALFORMED[Math.floor(this.random() * MALFORMED.length)]!(d));
        this.counts.malformed++;
      } else if (r < this.opts.malformedRate + this.opts.duplicateRate && this.lastValid) {
        out.push({ ...this.lastValid });
        this.counts.duplicates++;
      } else {
        out.push(this.reading(now));
      }
      this.counts.produced++;
    }
    return out;
  }

  private reading(now: number): Message {
    const i = this.tick++ % this.ids.length;
    const deviceId = this.ids[i]!;
    const s = this.state[i]!;
    s.seq++;
    const walk = (v: number, step: number, lo: number, hi: number) =>
      Math.min(hi, Math.max(lo, v + (this.random() - 0.5) * step));
    s.temperature = walk(s.temperature, 0.6, 5, 40);
    s.humidity = walk(s.humidity, 1, 10, 90);
    s.pressure = walk(s.pressure, 0.5, 980, 1040);
    s.battery = Math.max(15, s.battery - this.random() * 0.01);
    // Hot devices spend their readings 40-59 of every 100 above 80 °C, then cool down (alert resolves).
    const hot = i < this.opts.hotDevices && s.seq % 100 >= 40 && s.seq % 100 < 60;
    if (hot) this.counts.hotReadings++;
    const event: SensorData = {
      schemaVersion: SENSOR_DATA_SCHEMA_VERSION,
      eventId: `${deviceId}-${s.seq}`,
      deviceId,
      timestamp: now,
      readings: {
        temperature: hot ? 85 + this.random() * 5 : Math.round(s.temperature * 100) / 100,
        humidity: Math.round(s.humidity * 100) / 100,
        pressure: Math.round(s.pressure * 10) / 10,
        battery: Math.round(s.battery * 100) / 100,
      },
      firmware: '1.4.2',
    };
    this.counts.valid++;
    const message = { key: deviceId, value: JSON.stringify(event) };
    this.lastValid = message;
    return message;
  }
}
