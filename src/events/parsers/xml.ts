// XML events. Windows rendered event XML becomes flat `System.*` and `EventData.*` fields
// (`System.EventID`, `System.Provider.Name`, `EventData.TargetUserName`); other XML is flattened by path.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fail, tooLarge, type ParseResult, type Fields } from '../types.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  processEntities: true,
  isArray: (name) => name === 'Data',
});

type Node = Record<string, unknown>;

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const t = (v as Node)['#text'];
  return t === undefined ? '' : String(t);
}

/** Flattens a node: attributes become `path.attr`, text becomes `path`. */
function flatten(node: unknown, path: string, out: Fields, depth: number): void {
  if (depth > 32) return;
  if (node === null || typeof node !== 'object') {
    out[path] = node === undefined ? '' : String(node);
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((n, i) => flatten(n, node.length === 1 ? path : `${path}.${i}`, out, depth + 1));
    return;
  }
  const obj = node as Node;
  for (const [k, v] of Object.entries(obj)) {
    if (k === '@') for (const [a, av] of Object.entries(v as Node)) out[path ? `${path}.${a}` : a] = String(av);
    else if (k === '#text') out[path] = String(v);
    else flatten(v, path ? `${path}.${k}` : k, out, depth + 1);
  }
}

function windowsEvent(ev: Node): Fields {
  const out: Fields = {};
  const system = ev.System as Node | undefined;
  if (system && typeof system === 'object') {
    for (const [k, v] of Object.entries(system)) {
      const t = text(v);
      if (t !== undefined && t !== '') out[`System.${k}`] = t;
      const attrs = v && typeof v === 'object' ? ((v as Node)['@'] as Node | undefined) : undefined;
      if (attrs) for (const [a, av] of Object.entries(attrs)) out[`System.${k}.${a}`] = String(av);
    }
  }
  for (const section of ['EventData', 'UserData'] as const) {
    const data = ev[section];
    if (!data || typeof data !== 'object') continue;
    const items = (data as Node).Data as unknown[] | undefined;
    if (Array.isArray(items)) {
      items.forEach((d, i) => {
        const name = d && typeof d === 'object' ? ((d as Node)['@'] as Node | undefined)?.Name : undefined;
        out[`${section}.${name !== undefined ? String(name) : `Data${i}`}`] = text(d) ?? '';
      });
    }
    for (const [k, v] of Object.entries(data as Node)) if (k !== 'Data' && k !== '@') flatten(v, `${section}.${k}`, out, 0);
  }
  const rendering = ev.RenderingInfo as Node | undefined;
  if (rendering && typeof rendering === 'object') flatten(rendering, 'RenderingInfo', out, 0);
  return out;
}

export function parseXml(raw: string): ParseResult {
  try {
    const big = tooLarge(raw);
    if (big) return big;
    const trimmed = raw.trim();
    if (!trimmed.startsWith('<')) return fail('XML event must start with <');
    const valid = XMLValidator.validate(trimmed);
    if (valid !== true) return fail(`invalid XML: ${valid.err.msg} (line ${valid.err.line})`);
    const doc = parser.parse(trimmed) as Node;
    const event = doc.Event as Node | undefined;
    if (event && typeof event === 'object' && 'System' in event) return { ok: true, fields: windowsEvent(event) };
    const out: Fields = {};
    for (const k of Object.keys(doc)) if (k.startsWith('?')) delete doc[k]; // the <?xml …?> declaration
    flatten(doc, '', out, 0);
    return { ok: true, fields: out };
  } catch (err) {
    return fail(`XML parser error: ${(err as Error).message}`);
  }
}
