/**
 * A small Kubernetes API client: bearer token, the server's self-signed CA, discovery to map
 * apiVersion/kind to a resource path, and server-side apply with strict field validation.
 */
import { request } from 'node:https';

export interface KubeConnection {
  readonly server: string;
  readonly token: string;
  /** PEM of the certificate the server presents (self-signed). */
  readonly ca: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export class KubeApiError extends Error {
  override name = 'KubeApiError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status}: ${KubeApiError.reason(body)}`);
  }

  static reason(body: string): string {
    try {
      const s = JSON.parse(body) as { message?: string };
      return s.message ?? body;
    } catch {
      return body.slice(0, 2000);
    }
  }
}

export interface ApplyOptions {
  /** Validate and admit without persisting (`dryRun=All`). */
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
}

interface Resource {
  readonly name: string;
  readonly namespaced: boolean;
}

export class KubeClient {
  private readonly discovery = new Map<string, Map<string, Resource>>();

  constructor(readonly conn: KubeConnection) {}

  async request(
    method: string,
    path: string,
    body?: string,
    contentType = 'application/json',
  ): Promise<{ status: number; body: string }> {
    const url = new URL(path, this.conn.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.conn.ca,
          headers: {
            authorization: `Bearer ${this.conn.token}`,
            accept: 'application/json',
            ...(body !== undefined
              ? { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }
              : {}),
          },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  async json<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.request(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
      contentType,
    );
    if (res.status < 200 || res.status >= 300)
      throw new KubeApiError(res.status, res.body, `${method} ${path}`);
    return JSON.parse(res.body) as T;
  }

  private async resources(apiVersion: string, refresh: boolean): Promise<Map<string, Resource>> {
    const cached = this.discovery.get(apiVersion);
    if (cached && !refresh) return cached;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await this.request('GET', path);
    const byKind = new Map<string, Resource>();
    if (res.status === 200) {
      const list = JSON.parse(res.body) as {
        resources: { name: string; kind: string; namespaced: boolean }[];
      };
      for (const r of list.resources)
        if (!r.name.includes('/')) byKind.set(r.kind, { name: r.name, namespaced: r.namespaced });
    } else if (res.status !== 404) {
      throw new KubeApiError(res.status, res.body, `discovery of ${apiVersion}`);
    }
    this.discovery.set(apiVersion, byKind);
    return byKind;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the server has none. */
  async resourceFor(apiVersion: string, kind: string): Promise<Resource | undefined> {
    return (
      (await this.resources(apiVersion, false)).get(kind) ??
      (await this.resources(apiVersion, true)).get(kind)
    );
  }

  async pathOf(obj: KubeObject): Promise<string> {
    const res = await this.resourceFor(obj.apiVersion, obj.kind);
    if (!res)
      throw new Error(
        `the API server serves no ${obj.kind} in ${obj.apiVersion} (${describe(obj)}): unknown kind or missing CRD`,
      );
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = res.namespaced ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}` : '';
    return `${base}${ns}/${res.name}/${encodeURIComponent(obj.metadata.name)}`;
  }

  /** Server-side apply with fieldValidation=Strict: an unknown or duplicate field is an error. */
  async apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    const path = await this.pathOf(obj);
    const q = new URLSearchParams({
      fieldManager: opts.fieldManager ?? 'iac-tests',
      fieldValidation: 'Strict',
      force: 'true',
    });
    if (opts.dryRun) q.set('dryRun', 'All');
    const res = await this.request(
      'PATCH',
      `${path}?${q}`,
      JSON.stringify(obj),
      'application/apply-patch+yaml',
    );
    if (res.status < 200 || res.status >= 300)
      throw new KubeApiError(res.status, res.body, `apply ${describe(obj)}`);
    return JSON.parse(res.body) as KubeObject;
  }

  async get(obj: KubeObject): Promise<KubeObject | undefined> {
    const res = await this.request('GET', await this.pathOf(obj));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new KubeApiError(res.status, res.body, `get ${describe(obj)}`);
    return JSON.parse(res.body) as KubeObject;
  }

  async delete(obj: KubeObject): Promise<void> {
    const res = await this.request('DELETE', await this.pathOf(obj));
    if (res.status !== 404 && (res.status < 200 || res.status >= 300))
      throw new KubeApiError(res.status, res.body, `delete ${describe(obj)}`);
  }
}

export function describe(obj: KubeObject): string {
  const ns = obj.metadata?.namespace ? `${obj.metadata.namespace}/` : '';
  return `${obj.kind} ${ns}${obj.metadata?.name} (${obj.apiVersion})`;
}
