/** Who did something: recorded in audit entries and response history. */
export interface Actor {
  kind: 'user' | 'token' | 'system' | 'playbook';
  id: string | null;
  name: string;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, name: 'xdrhub' };
