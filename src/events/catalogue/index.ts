// The catalogue of supported event sources (product → normalizer), each with replayable samples.
import type { CatalogueEntry } from './types.ts';
import { CEF_SOURCES, LEEF_SOURCES } from './cef-sources.ts';
import { NETWORK_SOURCES } from './network-sources.ts';
import { HOST_SOURCES } from './host-sources.ts';
import { WEB_SOURCES } from './web-sources.ts';
import { WINDOWS_SOURCES } from './windows-sources.ts';
import { JSON_SOURCES } from './json-sources.ts';

export const catalogue: readonly CatalogueEntry[] = Object.freeze([
  ...CEF_SOURCES,
  ...LEEF_SOURCES,
  ...NETWORK_SOURCES,
  ...HOST_SOURCES,
  ...WEB_SOURCES,
  ...WINDOWS_SOURCES,
  ...JSON_SOURCES,
]);

const byId = new Map(catalogue.map((e) => [e.id, e]));

export function findSource(id: string): CatalogueEntry | undefined {
  return byId.get(id);
}

export type { CatalogueEntry, CatalogueSample } from './types.ts';
export { GENERIC_CEF, GENERIC_LEEF } from './generic.ts';
