/**
 * What differs between Ideco NGFW and Ideco UTM, and nothing else. Both speak the same REST
 * family (docs.ideco.dev: /web/auth/login, /aliases, /firewall/rules, /content-filter); they
 * differ in how a blocked address is stored:
 *  - NGFW (v16+) has "IP address list" objects (`/aliases/ip_address_lists`) whose values are the
 *    addresses themselves: a batch of any size is one GET and one PUT.
 *  - UTM (the older line) only has "IP address" objects (`/aliases/ip_addresses`, one per address)
 *    gathered in a "list of IP objects" (`/aliases/lists/addresses`) by object id.
 */
export interface IdecoVariant {
  type: 'ideco-ngfw' | 'ideco-utm';
  title: string;
  product: string;
  ipStore: 'addressList' | 'ipObjects';
}

export const NGFW: IdecoVariant = { type: 'ideco-ngfw', title: 'Ideco NGFW', product: 'Ideco NGFW', ipStore: 'addressList' };
export const UTM: IdecoVariant = { type: 'ideco-utm', title: 'Ideco UTM', product: 'Ideco UTM', ipStore: 'ipObjects' };
