import { Fieldset, NumberInput, Select, Stack, Switch, Textarea, TextInput, JsonInput } from '@mantine/core';
import type { JsonSchema } from '../api.ts';
import { words } from '../format.ts';

type Obj = Record<string, unknown>;

/** Default values of an object schema, recursively. */
export function defaultsOf(schema: JsonSchema | undefined): Obj {
  const out: Obj = {};
  for (const [k, s] of Object.entries(schema?.properties ?? {})) {
    if (s.default !== undefined) out[k] = structuredClone(s.default);
    else if (s.type === 'object' && s.properties) out[k] = defaultsOf(s);
    else if (s.type === 'boolean') out[k] = false;
  }
  return out;
}

const consts = (s: JsonSchema) => (s.anyOf ?? []).filter((x) => x.const !== undefined).map((x) => String(x.const));
const nullable = (s: JsonSchema) => (s.anyOf ?? []).some((x) => x.type === 'null');
const numberBranch = (s: JsonSchema) => (s.anyOf ?? []).find((x) => x.type === 'integer' || x.type === 'number');

export interface FieldError { field?: string; message: string }

interface Props {
  schema: JsonSchema;
  value: Obj;
  onChange: (v: Obj) => void;
  /** Fields not to render (e.g. root-only fields off Root). */
  hidden?: string[];
  error?: FieldError | null;
  disabled?: boolean;
  /** Prefix for input ids so several forms can share a page. */
  idPrefix?: string;
}

/** Renders a JSON schema object as a form: strings, numbers, booleans, enums (enum or anyOf of consts), nullable numbers, nested objects, string lists; anything else as JSON. */
export function SchemaForm({ schema, value, onChange, hidden = [], error, disabled, idPrefix = 'f' }: Props) {
  const required = new Set(schema.required ?? []);
  return (
    <Stack gap="sm">
      {Object.entries(schema.properties ?? {})
        .filter(([k]) => !hidden.includes(k))
        .map(([k, s]) => (
          <Field key={k} name={k} id={`${idPrefix}-${k}`} schema={s} required={required.has(k)} value={value[k]} disabled={disabled}
            error={error && error.field === k ? error.message : undefined}
            nestedError={error}
            onChange={(v) => {
              const next = { ...value };
              if (v === undefined) delete next[k];
              else next[k] = v;
              onChange(next);
            }} />
        ))}
    </Stack>
  );
}

function Field({ name, id, schema: s, required, value, onChange, error, nestedError, disabled }: { name: string; id: string; schema: JsonSchema; required: boolean; value: unknown; onChange: (v: unknown) => void; error?: string; nestedError?: FieldError | null; disabled?: boolean }) {
  const label = s.title ?? words(name);
  const common = { id, label, description: s.description, required, error, disabled };
  const options = s.enum ? s.enum.map(String) : consts(s);
  if (options.length) {
    return <Select {...common} data={options.map((o) => ({ value: o, label: words(o) }))} value={value == null ? null : String(value)} clearable={!required || nullable(s)} onChange={(v) => onChange(v ?? (nullable(s) ? null : undefined))} />;
  }
  const num = s.type === 'integer' || s.type === 'number' ? s : numberBranch(s);
  if (num) {
    return (
      <NumberInput {...common} min={num.minimum} max={num.maximum} allowDecimal={num.type === 'number'} placeholder={nullable(s) ? 'empty: no limit' : undefined}
        value={typeof value === 'number' ? value : ''} onChange={(v) => onChange(v === '' ? (nullable(s) ? null : undefined) : Number(v))} />
    );
  }
  if (s.type === 'boolean') return <Switch id={id} label={label} description={s.description} checked={!!value} disabled={disabled} error={error} onChange={(e) => onChange(e.currentTarget.checked)} />;
  if (s.type === 'object' && s.properties) {
    return (
      <Fieldset legend={label} variant="filled">
        {s.description && <div style={{ fontSize: 12, color: 'var(--mantine-color-dimmed)', marginBottom: 8 }}>{s.description}</div>}
        <SchemaForm schema={s} value={(value as Obj) ?? {}} onChange={onChange} error={nestedError} disabled={disabled} idPrefix={id} />
        {error && <div role="alert" style={{ color: 'var(--mantine-color-red-7)', fontSize: 13 }}>{error}</div>}
      </Fieldset>
    );
  }
  if (s.type === 'array' && s.items?.type === 'string') {
    return (
      <Textarea {...common} description={`${s.description ? s.description + ' — ' : ''}one per line`} autosize minRows={2}
        value={Array.isArray(value) ? value.join('\n') : ''} onChange={(e) => onChange(e.currentTarget.value.split('\n').map((x) => x.trim()).filter(Boolean))} />
    );
  }
  if (s.type === 'string') {
    if ((s.maxLength ?? 0) > 4096 || /certificate|pem/i.test(label)) {
      return <Textarea {...common} autosize minRows={2} maxRows={8} styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }} value={(value as string) ?? ''} onChange={(e) => onChange(e.currentTarget.value || undefined)} />;
    }
    return <TextInput {...common} value={(value as string) ?? ''} maxLength={s.maxLength} onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)} />;
  }
  return <JsonObjectField {...common} value={value} onChange={onChange} />;
}

function JsonObjectField({ value, onChange, ...rest }: { id: string; label: string; description?: string; required: boolean; error?: string; disabled?: boolean; value: unknown; onChange: (v: unknown) => void }) {
  return (
    <JsonInput {...rest} formatOnBlur autosize minRows={3} validationError="Not valid JSON" defaultValue={value === undefined ? '' : JSON.stringify(value, null, 2)}
      onChange={(text) => {
        try {
          onChange(text.trim() ? JSON.parse(text) : undefined);
        } catch {
          /* keep the last valid value until the JSON parses */
        }
      }} />
  );
}
