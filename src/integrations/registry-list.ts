import { ConnectorRegistry } from './framework/registry.ts';
import { webhookConnector } from './webhook/index.ts';
import { ktipConnector } from './ktip/index.ts';
import { checkpointConnector } from './checkpoint/index.ts';
import { usergateConnector } from './usergate/index.ts';
import { sophosConnector } from './sophos/index.ts';
import { redmineConnector } from './redmine/index.ts';
import { idecoNgfwConnector, idecoUtmConnector } from './ideco/index.ts';
import { ldapConnector } from './ldap/index.ts';
import { kasapConnector } from './kasap/index.ts';
import { kataConnector } from './kata/index.ts';
import { sshConnector } from './ssh/index.ts';
import { continent4Connector } from './continent4/index.ts';
import { skdpuConnector } from './skdpu/index.ts';

/** Every connector type of this installation: adding a product is one line here. */
export function createConnectorRegistry(): ConnectorRegistry {
  return new ConnectorRegistry().register(webhookConnector).register(ktipConnector).register(checkpointConnector).register(usergateConnector).register(sophosConnector).register(redmineConnector).register(idecoNgfwConnector).register(idecoUtmConnector).register(ldapConnector).register(kasapConnector).register(kataConnector).register(sshConnector).register(continent4Connector).register(skdpuConnector);
}
