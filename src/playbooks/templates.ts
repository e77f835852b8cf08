/**
 * Predefined playbooks: read-only templates users copy and adapt (POST …/playbooks/from-template).
 * They ship in training mode, as the product the seed describes does: each match asks for
 * approval until the user switches the copy to auto.
 */
export interface PlaybookTemplate {
  id: string;
  title: string;
  description: string;
  playbook: Record<string, unknown>;
}

/** Every firewall type with a blockIp action; a step runs on each enabled instance of them. */
export const FIREWALL_TYPES = ['usergate', 'ideco-ngfw', 'ideco-utm', 'checkpoint', 'sophos', 'continent4'];

export const TEMPLATES: PlaybookTemplate[] = [
  {
    id: 'block-attacker-ip-on-firewalls',
    title: 'Block the attacker IP on every configured firewall, with approval',
    description: 'For high and critical alerts: every IP observable is blocked on each enabled firewall integration after an approver agrees; the alert gets a comment.',
    playbook: {
      name: '[Template] Block attacker IP on firewalls',
      description: 'Blocks every IP observable of a high or critical alert on each configured firewall, after approval.',
      tags: ['firewall', 'containment'],
      scope: 'alert',
      mode: 'training',
      trigger: '(.severity == "high" or .severity == "critical") and (.observables | any(.type == "ip"))',
      steps: [
        {
          id: 'block-ips',
          name: 'Block IPs',
          kind: 'action',
          connector: FIREWALL_TYPES,
          action: 'blockIp',
          targets: '[.alert.observables[] | select(.type == "ip")]',
          approval: { required: true, windowMinutes: 60 },
          timeoutSeconds: 7200,
        },
        { id: 'note', kind: 'updateData', update: '{comment: "Blocked \\(.steps["block-ips"].succeeded) IP address(es) on the firewalls", status: "inProgress"}' },
      ],
    },
  },
  {
    id: 'isolate-host-and-block-hash',
    title: 'Isolate the attacker host and add a prevention rule for the file hash',
    description: 'Enables KATA/KEDR network isolation on the attacker hosts (auto-off after 24 hours) and adds MD5/SHA256 observables to the prevention rules.',
    playbook: {
      name: '[Template] Isolate host and block file hash',
      description: 'Network isolation of the alert’s attacker hosts and a prevention rule for its file hashes, through KATA/KEDR.',
      tags: ['endpoint', 'kata', 'containment'],
      scope: 'alert',
      mode: 'training',
      trigger: '.severity == "critical" and (.assets | any(.kind == "host" and .role == "attacker"))',
      steps: [
        { id: 'isolate', kind: 'action', connector: 'kata', action: 'enableNetworkIsolation', targets: '[.alert.assets[] | select(.kind == "host" and .role == "attacker")]', params: { timeoutHours: 24 }, approval: { required: true } },
        { id: 'prevent', kind: 'action', connector: 'kata', action: 'addPreventionRule', targets: '[.alert.observables[] | select(.type == "md5" or .type == "sha256")]', onError: 'continue' },
        { id: 'note', kind: 'updateData', update: { comment: 'Attacker host isolated; file hashes added to the prevention rules.' } },
      ],
    },
  },
  {
    id: 'block-account-reset-password',
    title: 'Block the account and reset its password, with approval',
    description: 'For compromised-account alerts: blocks each victim account in Active Directory, then resets its password with change at next logon.',
    playbook: {
      name: '[Template] Block account and reset password',
      description: 'Blocks the accounts of the alert in Active Directory and resets their passwords, after approval.',
      tags: ['identity', 'active-directory'],
      scope: 'alert',
      mode: 'training',
      trigger: '(.techniques | any(startswith("T1078") or startswith("T1110"))) and (.assets | any(.kind == "account"))',
      steps: [
        { id: 'block', kind: 'action', connector: 'ldap', action: 'block', targets: '[.alert.assets[] | select(.kind == "account")]', approval: { required: true } },
        { id: 'reset', kind: 'action', connector: 'ldap', action: 'resetPassword', targets: '[.alert.assets[] | select(.kind == "account")]', params: { mustChangeAtNextLogon: true } },
        { id: 'note', kind: 'updateData', update: { comment: 'Account blocked and password reset (change required at next logon).' } },
      ],
    },
  },
  {
    id: 'enrich-and-raise-severity',
    title: 'Enrich every observable, then raise severity when a verdict is red',
    description: 'Asks threat intelligence about every observable; if any is in the Red zone the alert becomes critical and gets a comment naming them.',
    playbook: {
      name: '[Template] Enrich and raise severity on red verdicts',
      description: 'Enriches all observables through Kaspersky TIP/OpenTIP and escalates alerts with a red verdict.',
      tags: ['threat-intelligence', 'triage'],
      scope: 'alert',
      mode: 'training',
      trigger: '.status == "new" and (.observables | length > 0)',
      steps: [
        { id: 'enrich', kind: 'enrichment' },
        {
          id: 'verdict',
          kind: 'branch',
          cases: [
            {
              when: '.steps.enrich.red > 0',
              steps: [{ id: 'escalate', kind: 'updateData', update: '{severity: "critical", comment: "Red verdict for: \\([.steps.enrich.results[] | select(.zone == "Red") | .value] | join(", "))"}' }],
            },
          ],
          default: [{ id: 'clean', kind: 'updateData', update: { comment: 'Threat intelligence found no red verdict.' } }],
        },
      ],
    },
  },
];
