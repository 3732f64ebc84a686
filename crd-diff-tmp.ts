import { ensureKubeApi } from './local/kube/api.js';
import { KubeClient } from './local/kube/client.js';
import { operatorCrds } from './stacks/lib/operator-crds.js';
const client = new KubeClient(await ensureKubeApi());
const want = operatorCrds('strimzi').find((c) => c.metadata.name === 'kafkas.kafka.strimzi.io')!;
const got = (await client.get(want))!;
function cmp(a: any, b: any, path: string, out: string[]) {
  if (out.length > 30) return;
  const ta = Array.isArray(a) ? 'array' : typeof a, tb = Array.isArray(b) ? 'array' : typeof b;
  if (ta !== tb) { out.push(`${path}: ${ta} vs ${tb} ${JSON.stringify(a)?.slice(0,60)} | ${JSON.stringify(b)?.slice(0,60)}`); return; }
  if (ta === 'array') { if (a.length !== b.length) out.push(`${path}: len ${a.length} vs ${b.length}`); for (let i = 0; i < Math.min(a.length,b.length); i++) cmp(a[i], b[i], `${path}[${i}]`, out); return; }
  if (ta === 'object' && a && b) { for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) { if (!(k in a)) out.push(`${path}.${k}: only served`); else if (!(k in b)) out.push(`${path}.${k}: only manifest`); else cmp(a[k], b[k], `${path}.${k}`, out); } return; }
  if (a !== b && !(typeof a === 'string' && a.includes('$$'))) out.push(`${path}: ${JSON.stringify(a)?.slice(0,60)} vs ${JSON.stringify(b)?.slice(0,60)}`);
}
const out: string[] = [];
cmp((want as any).spec, (got as any).spec, 'spec', out);
console.log(out.join('\n'));
