import { ConnectorRegistry } from './framework/registry.ts';
import { webhookConnector } from './webhook/index.ts';
import { ktipConnector } from './ktip/index.ts';

/** Every connector type of this installation: adding a product is one line here. */
export function createConnectorRegistry(): ConnectorRegistry {
  return new ConnectorRegistry().register(webhookConnector).register(ktipConnector);
}
