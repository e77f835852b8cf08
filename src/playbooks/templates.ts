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

export const TEMPLATES: PlaybookTemplate[] = [];
