// Row shapes of the events module's tables (see ../migrations.ts).

export interface CollectorRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: string;
  port: number;
  default_source: string;
  source_overrides: string;
  tls_cert: string | null;
  /** File collectors: the followed path and the start position ('end' | 'beginning'). */
  file_path: string | null;
  file_start_at: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface EventRow {
  id: string;
  tenant_id: string;
  collector_id: string;
  source_id: string;
  time: number;
  received_at: number;
  fields: string;
  original: string;
  raw: string | null;
}

export interface DetectionRuleRow {
  id: string;
  tenant_id: string;
  rule_id: string;
  kind: string;
  title: string;
  level: string;
  sigma: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface EventSettingsRow {
  tenant_id: string;
  retention_days: number;
  updated_at: number;
}

export interface EventsTables {
  event_collectors: CollectorRow;
  events: EventRow;
  detection_rules: DetectionRuleRow;
  event_settings: EventSettingsRow;
}
