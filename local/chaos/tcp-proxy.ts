/**
 * A TCP proxy on loopback between the pipeline processes and a dependency (Postgres, Temporal), so
 * that the chaos schedule can make the network slow or stall it without touching the server. Latency
 * delays every chunk in both directions (a round trip pays it twice); a stall holds the bytes and
 * pauses the sockets, like a partition that drops nothing and resets nothing.
 */
import { createServer, Socket, type Server } from 'node:net';

export type ProxyMode =
  { readonly kind: 'pass' } | { readonly kind: 'delay'; readonly ms: number } | { readonly kind: 'stall' };

export interface TcpProxyOptions {
  readonly name: string;
  readonly listenPort: number;
  readonly targetPort: number;
  readonly targetHost?: string;
}

/** One direction of one connection: chunks leave in order, each no earlier than its due time. */
class Lane {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly mode: () => ProxyMode,
  ) {
    from.on('data', (chunk: Buffer) => {
      const m = this.mode();
      this.queue.push({ due: Date.now() + (m.kind === 'delay' ? m.ms : 0), chunk });
      this.flush();
    });
    // Bound the proxy's memory: while the far side cannot take more, stop reading this side.
    to.on('drain', () => this.flush());
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.mode().kind === 'stall') {
      this.from.pause();
      return;
    }
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      if (this.to.destroyed) return;
      if (!this.to.write(this.queue.shift()!.chunk)) {
        this.from.pause();
        return;
      }
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.queue[0]!.due - now);
      // Many chunks in flight: reading on would only grow the queue.
      if (this.queue.length > 256) this.from.pause();
      else this.from.resume();
    } else {
      this.from.resume();
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export class TcpProxy {
  private server: Server | undefined;
  private current: ProxyMode = { kind: 'pass' };
  private readonly lanes = new Set<Lane>();
  private readonly sockets = new Set<Socket>();

  constructor(readonly opts: TcpProxyOptions) {}

  get mode(): ProxyMode {
    return this.current;
  }

  get port(): number {
    return this.opts.listenPort;
  }

  async start(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.opts.listenPort, host: '127.0.0.1', exclusive: true }, () => resolve());
    });
    this.server = server;
  }

  /** Switches every open and future connection; leaving a stall releases what was held. */
  setMode(mode: ProxyMode): void {
    this.current = mode;
    for (const lane of this.lanes) lane.flush();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    for (const lane of this.lanes) lane.close();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = new Socket();
    upstream.connect(this.opts.targetPort, this.opts.targetHost ?? '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const lanes = [
      new Lane(client, upstream, () => this.current),
      new Lane(upstream, client, () => this.current),
    ];
    for (const lane of lanes) this.lanes.add(lane);
    this.sockets.add(client).add(upstream);
    // A dependency that went away closes the client's connection too, as it would without the proxy.
    const teardown = () => {
      for (const lane of lanes) {
        lane.close();
        this.lanes.delete(lane);
      }
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', teardown).on('error', teardown);
    upstream.on('close', teardown).on('error', teardown);
  }
}
