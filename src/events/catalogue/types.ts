// A catalogue entry: one supported event source (product) → its normalizer, with samples that
// CI replays (catalogue.test.ts): each raw sample must normalize to the expected fields.
import type { NormalizerDef } from '../normalize/definition.ts';

export interface CatalogueSample {
  raw: string;
  /** Normalized fields that must be present with exactly these values. */
  expected: Record<string, string | number>;
}

export interface CatalogueEntry {
  id: string;
  vendor: string;
  product: string;
  /** Transport/format as seen on the wire, for the docs table. */
  format: string;
  normalizer: NormalizerDef;
  samples: CatalogueSample[];
}
