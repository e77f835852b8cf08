import type { ConnectorType } from './contract.ts';

/** The connector types this installation offers; product folders add themselves in registry-list.ts. */
export class ConnectorRegistry {
  private readonly types = new Map<string, ConnectorType>();

  register(type: ConnectorType<any, any>): this {
    if (this.types.has(type.type)) throw new Error(`connector type ${type.type} registered twice`);
    for (const [name, action] of Object.entries(type.actions)) {
      if (action.undo && !type.actions[action.undo]) throw new Error(`${type.type}.${name}: undo action ${action.undo} does not exist`);
    }
    this.types.set(type.type, type as ConnectorType);
    return this;
  }

  get(type: string): ConnectorType | undefined {
    return this.types.get(type);
  }

  list(): ConnectorType[] {
    return [...this.types.values()];
  }
}
