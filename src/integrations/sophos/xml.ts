import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/**
 * The Sophos XML API documents, built and read with fast-xml-parser: values are text nodes the
 * builder escapes, never concatenated into markup. Shared by the client and the simulator.
 */
export type XmlNode = { [k: string]: unknown };

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false, format: false, processEntities: true });

// Elements that may repeat: always arrays, so one and many read the same way.
const REPEATING = new Set(['IPHost', 'IPHostGroup', 'FirewallRule', 'WebFilterURLGroup', 'Host', 'HostGroup', 'URL', 'Network', 'Status', 'Set', 'Get', 'Remove', 'key']);
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  isArray: (name) => REPEATING.has(name),
});

export function buildXml(doc: XmlNode): string {
  return builder.build(doc) as string;
}

export function parseXml(xml: string): XmlNode {
  if (/<!DOCTYPE/i.test(xml)) throw new Error('a DOCTYPE is not allowed');
  return parser.parse(xml, true) as XmlNode;
}

export const asArray = (v: unknown): unknown[] => (v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v]);
export const isNode = (v: unknown): v is XmlNode => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The text of an element that may have attributes. */
export const text = (v: unknown): string => (isNode(v) ? String(v['#text'] ?? '') : v === undefined || v === null ? '' : String(v));
