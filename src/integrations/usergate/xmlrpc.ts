import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/**
 * An XML-RPC encoder and decoder (http://xmlrpc.com/spec.md) on fast-xml-parser: documents are
 * built as object trees and serialised by XMLBuilder, which escapes every text value, so no value
 * can open or close an element. Used by the UserGate client and its simulator.
 */
export type XmlRpcValue = string | number | boolean | null | XmlRpcValue[] | { [key: string]: XmlRpcValue };

export class XmlRpcFault extends Error {
  override name = 'XmlRpcFault';
  constructor(
    readonly faultCode: number,
    readonly faultString: string,
  ) {
    super(`fault ${faultCode}: ${faultString}`);
  }
}

/** The document was not a well-formed XML-RPC message. */
export class XmlRpcFormatError extends Error {
  override name = 'XmlRpcFormatError';
}

const builder = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false, format: false, processEntities: true });
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => name === 'param' || name === 'member' || name === 'value',
});

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
// Characters XML 1.0 cannot carry at all (not even escaped): refusing them keeps documents parseable.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

type Node = Record<string, unknown>;

function encodeValue(v: XmlRpcValue, path: string): Node {
  if (v === null || v === undefined) return { nil: '' };
  if (typeof v === 'string') {
    if (NOT_XML.test(v)) throw new TypeError(`${path}: contains a character XML cannot carry`);
    return { string: v };
  }
  if (typeof v === 'boolean') return { boolean: v ? '1' : '0' };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${path}: ${v} is not an XML-RPC number`);
    return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? { int: String(v) } : { double: String(v) };
  }
  if (Array.isArray(v)) return { array: { data: { value: v.map((x, i) => encodeValue(x, `${path}[${i}]`)) } } };
  if (typeof v === 'object') {
    return { struct: { member: Object.entries(v).map(([name, x]) => ({ name: checkName(name, path), value: [encodeValue(x, `${path}.${name}`)] })) } };
  }
  throw new TypeError(`${path}: ${typeof v} cannot be sent over XML-RPC`);
}

function checkName(name: string, path: string): string {
  if (NOT_XML.test(name)) throw new TypeError(`${path}: a member name contains a character XML cannot carry`);
  return name;
}

export function encodeCall(method: string, params: XmlRpcValue[]): string {
  if (!/^[A-Za-z0-9_.:/]+$/.test(method)) throw new TypeError(`"${method}" is not an XML-RPC method name`);
  const doc = { methodCall: { methodName: method, params: { param: params.map((p, i) => ({ value: [encodeValue(p, `param[${i}]`)] })) } } };
  return XML_DECL + builder.build(doc);
}

export function encodeResponse(value: XmlRpcValue): string {
  return XML_DECL + builder.build({ methodResponse: { params: { param: [{ value: [encodeValue(value, 'result')] }] } } });
}

export function encodeFault(code: number, message: string): string {
  return XML_DECL + builder.build({ methodResponse: { fault: { value: [encodeValue({ faultCode: code, faultString: message }, 'fault')] } } });
}

function parse(xml: string): Node {
  if (typeof xml !== 'string' || !xml.trim().startsWith('<')) throw new XmlRpcFormatError('the answer is not XML');
  // Entity declarations are the classic XML bomb; XML-RPC has no use for a DOCTYPE at all.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlRpcFormatError('a DOCTYPE is not allowed in XML-RPC');
  try {
    return parser.parse(xml, true) as Node;
  } catch (err) {
    throw new XmlRpcFormatError(`malformed XML: ${(err as Error).message.split('\n')[0]}`);
  }
}

const isNode = (x: unknown): x is Node => typeof x === 'object' && x !== null && !Array.isArray(x);

function decodeValue(node: unknown): XmlRpcValue {
  // <value>text</value> without a type element is a string.
  if (typeof node === 'string') return node;
  if (!isNode(node)) return '';
  const typed = Object.keys(node).filter((k) => k !== '#text');
  if (typed.length === 0) return String(node['#text'] ?? '');
  if (typed.length > 1) throw new XmlRpcFormatError(`a value holds ${typed.length} types`);
  const type = typed[0];
  const inner = node[type];
  const text = () => (typeof inner === 'string' ? inner : isNode(inner) && typeof inner['#text'] === 'string' ? inner['#text'] : '');
  switch (type) {
    case 'string':
      return text();
    case 'int':
    case 'i4':
    case 'i8': {
      const n = Number(text().trim());
      if (!Number.isInteger(n)) throw new XmlRpcFormatError(`"${text()}" is not an integer`);
      return n;
    }
    case 'double': {
      const n = Number(text().trim());
      if (Number.isNaN(n)) throw new XmlRpcFormatError(`"${text()}" is not a double`);
      return n;
    }
    case 'boolean': {
      const t = text().trim();
      if (t !== '0' && t !== '1') throw new XmlRpcFormatError(`"${t}" is not a boolean`);
      return t === '1';
    }
    case 'nil':
      return null;
    case 'dateTime.iso8601':
    case 'base64':
      return text().trim();
    case 'array': {
      const data = isNode(inner) ? inner.data : undefined;
      const values = isNode(data) && Array.isArray(data.value) ? data.value : [];
      return values.map(decodeValue);
    }
    case 'struct': {
      const members = isNode(inner) && Array.isArray(inner.member) ? inner.member : [];
      const out: Record<string, XmlRpcValue> = Object.create(null);
      for (const m of members) {
        if (!isNode(m) || !Array.isArray(m.value)) throw new XmlRpcFormatError('a struct member has no value');
        out[String(m.name ?? '')] = decodeValue(m.value[0]);
      }
      return { ...out };
    }
    default:
      throw new XmlRpcFormatError(`unknown XML-RPC type <${type}>`);
  }
}

function paramsOf(holder: unknown): XmlRpcValue[] {
  const params = isNode(holder) ? holder.params : undefined;
  const list = isNode(params) && Array.isArray(params.param) ? params.param : [];
  return list.map((p) => {
    if (!isNode(p) || !Array.isArray(p.value)) throw new XmlRpcFormatError('a param has no value');
    return decodeValue(p.value[0]);
  });
}

export function decodeCall(xml: string): { method: string; params: XmlRpcValue[] } {
  const doc = parse(xml);
  const call = doc.methodCall;
  if (!isNode(call) || typeof call.methodName !== 'string') throw new XmlRpcFormatError('not a methodCall');
  return { method: call.methodName.trim(), params: paramsOf(call) };
}

/** The result of a methodResponse; a fault is thrown as XmlRpcFault. */
export function decodeResponse(xml: string): XmlRpcValue {
  const doc = parse(xml);
  const res = doc.methodResponse;
  if (!isNode(res)) throw new XmlRpcFormatError('not a methodResponse');
  if (res.fault !== undefined) {
    const f = isNode(res.fault) && Array.isArray(res.fault.value) ? decodeValue(res.fault.value[0]) : null;
    if (!isNode(f)) throw new XmlRpcFormatError('a fault without a struct');
    throw new XmlRpcFault(Number(f.faultCode), String(f.faultString ?? ''));
  }
  const params = paramsOf(res);
  if (params.length !== 1) throw new XmlRpcFormatError(`a methodResponse carries ${params.length} params instead of 1`);
  return params[0];
}
