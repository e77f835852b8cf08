import { Accordion, Alert, Badge, Button, Group, Modal, Paper, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, fieldOf, type ActionDef, type CheckResult, type ConnectorType, type Integration, type ResponseAction } from '../api.ts';
import { ago, when } from '../format.ts';
import { usePerms } from '../session.ts';
import { GuardedButton } from './Guarded.tsx';
import { defaultsOf, SchemaForm } from './SchemaForm.tsx';
import { Empty, ErrorText, Failed, Loading } from './States.tsx';

/** A tenant's Settings tab: one section per connector type, each form rendered from the type's schemas. */
export function IntegrationSettings({ tenantId, isRoot }: { tenantId: string; isRoot: boolean }) {
  const perms = usePerms(tenantId);
  const types = useQuery({ queryKey: ['connector-types'], queryFn: () => api.get<{ items: ConnectorType[] }>('/connector-types').then((r) => r.items), staleTime: 300_000 });
  const instances = useQuery({ queryKey: ['integrations', tenantId], queryFn: () => api.get<{ items: Integration[] }>(`/tenants/${tenantId}/integrations?limit=200`).then((r) => r.items), enabled: perms.can('integrations.read') });
  if (!perms.loading && !perms.can('integrations.read')) return <Text c="dimmed">{perms.why('integrations.read')}</Text>;
  // Until the roles are known the instances query is disabled (not "loading"): rendering the
  // sections then would mount them twice, and a section opened in between would close again.
  if (perms.loading || types.isLoading || instances.isLoading) return <Loading what="integration settings" />;
  if (types.error || instances.error) return <Failed what="integration settings" error={types.error ?? instances.error} retry={() => { void types.refetch(); void instances.refetch(); }} />;
  const byType = (t: string) => (instances.data ?? []).filter((i) => i.type === t);
  return (
    <Stack>
      {!perms.can('integrations.write') && <Alert color="gray">{perms.why('integrations.write')} The settings are shown read-only.</Alert>}
      <Accordion multiple variant="separated" defaultValue={(types.data ?? []).filter((t) => byType(t.type).length).map((t) => t.type)}>
        {(types.data ?? []).map((t) => {
          const list = byType(t.type);
          return (
            <Accordion.Item key={t.type} value={t.type} data-connector={t.type}>
              <Accordion.Control>
                <Group gap="xs">
                  <Text fw={600}>{t.title}</Text>
                  {list.length ? list.map((i) => <Badge key={i.id} size="sm" color={i.enabled ? 'green' : 'gray'} variant="light">{i.name}: {i.enabled ? 'enabled' : 'disabled'}</Badge>) : <Badge size="sm" variant="outline" color="gray">not configured</Badge>}
                  {list.some((i) => i.status?.warnings.length) && <Badge size="sm" color="orange">needs attention</Badge>}
                </Group>
              </Accordion.Control>
              <Accordion.Panel>
                <TypeSection tenantId={tenantId} isRoot={isRoot} type={t} instances={list} canWrite={perms.can('integrations.write')} />
              </Accordion.Panel>
            </Accordion.Item>
          );
        })}
      </Accordion>
    </Stack>
  );
}

function TypeSection({ tenantId, isRoot, type, instances, canWrite }: { tenantId: string; isRoot: boolean; type: ConnectorType; instances: Integration[]; canWrite: boolean }) {
  const [adding, setAdding] = useState(false);
  const canAdd = canWrite && !(type.singleton && instances.length > 0);
  return (
    <Stack>
      <Text size="sm" c="dimmed">{type.description}</Text>
      {instances.length === 0 && !adding && <Empty title={`No ${type.title} integration on this tenant`} hint={canWrite ? 'Add one to use it for enrichment or response.' : 'An administrator can add one.'} />}
      {instances.map((i) => <InstanceForm key={i.id} tenantId={tenantId} isRoot={isRoot} type={type} instance={i} canWrite={canWrite} />)}
      {adding && <InstanceForm tenantId={tenantId} isRoot={isRoot} type={type} instance={null} canWrite={canWrite} onDone={() => setAdding(false)} />}
      {!adding && canAdd && <Group><Button size="xs" variant="light" onClick={() => setAdding(true)}>Add {type.title}</Button></Group>}
    </Stack>
  );
}

function SecretRow({ tenantId, instance, field, title, description, canWrite }: { tenantId: string; instance: Integration; field: string; title: string; description?: string; canWrite: boolean }) {
  const qc = useQueryClient();
  const state = instance.secrets.find((s) => s.field === field);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const save = useMutation({
    mutationFn: () => api.put(`/tenants/${tenantId}/integrations/${instance.id}/secrets`, { values: { [field]: value } }),
    onSuccess: () => { setEditing(false); setValue(''); void qc.invalidateQueries({ queryKey: ['integrations', tenantId] }); },
  });
  return (
    <Group align="end" gap="xs" data-secret={field}>
      <div style={{ minWidth: 220 }}>
        <Text size="sm" fw={500}>{title}</Text>
        <Text size="xs" c={state?.set ? 'green' : 'dimmed'}>{state?.set ? `set, changed ${ago(state.updatedAt)}${state.lastUsedAt ? `, last used ${ago(state.lastUsedAt)}` : ''}` : 'not set'}</Text>
      </div>
      {editing ? (
        <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }} style={{ display: 'flex', gap: 8, alignItems: 'flex-end' }}>
          <PasswordInput aria-label={`New ${title}`} placeholder={`New ${title.toLowerCase()}`} description={description} autoComplete="new-password" data-autofocus autoFocus w={320} value={value} onChange={(e) => setValue(e.currentTarget.value)} error={save.error?.message} />
          <Button type="submit" size="xs" loading={save.isPending} disabled={!value}>Save</Button>
          <Button size="xs" variant="default" onClick={() => { setEditing(false); setValue(''); save.reset(); }}>Cancel</Button>
        </form>
      ) : (
        <GuardedButton size="xs" variant="default" reason={canWrite ? undefined : 'Your role cannot change secrets'} onClick={() => setEditing(true)}>{state?.set ? 'Replace' : 'Add'}</GuardedButton>
      )}
    </Group>
  );
}

const FINAL = ['succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];

/** Setup actions a connector offers on itself (target "none"): KATA "Generate identity", SSH "Fetch host key" … */
function SetupAction({ tenantId, instance, action, canWrite }: { tenantId: string; instance: Integration; action: ActionDef; canWrite: boolean }) {
  const qc = useQueryClient();
  const run = useMutation({
    mutationFn: async () => {
      const launched = await api.post<{ actions: ResponseAction[] }>(`/tenants/${tenantId}/response/launches`, { instanceId: instance.id, action: action.name, targets: [{ kind: 'none', value: '' }] });
      let a = launched.actions[0];
      for (let i = 0; i < 60 && !FINAL.includes(a.status); i++) {
        await new Promise((r) => setTimeout(r, 500));
        a = await api.get<ResponseAction>(`/tenants/${tenantId}/response/actions/${a.id}`);
      }
      return a;
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: ['integrations', tenantId] }),
  });
  const a = run.data;
  return (
    <Stack gap={4}>
      <Group gap="xs">
        <GuardedButton size="xs" variant="default" reason={!canWrite ? 'Your role cannot change integrations' : !instance.enabled ? 'Enable the integration first' : undefined} loading={run.isPending} onClick={() => run.mutate()}>{action.title}</GuardedButton>
        {action.description && <Text size="xs" c="dimmed" maw={600}>{action.description}</Text>}
      </Group>
      <ErrorText error={run.error} />
      {a && <Text size="sm" c={a.status === 'succeeded' ? 'green' : 'red'} role="status" style={{ whiteSpace: 'pre-wrap' }}>{a.error ?? a.result?.summary ?? a.status}</Text>}
    </Stack>
  );
}

function CheckLine({ result }: { result: { ok: boolean; stage: string; message: string; at?: string } | null }) {
  if (!result) return <Text size="xs" c="dimmed">Connection not checked yet.</Text>;
  return (
    <Text size="sm" c={result.ok ? 'green' : 'red'} role="status" data-check={result.ok ? 'ok' : 'failed'}>
      {result.ok ? '✓ Connected' : `✗ Failed at ${result.stage}`}: {result.message}{result.at ? ` (${ago(result.at)})` : ''}
    </Text>
  );
}

function InstanceForm({ tenantId, isRoot, type, instance, canWrite, onDone }: { tenantId: string; isRoot: boolean; type: ConnectorType; instance: Integration | null; canWrite: boolean; onDone?: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(instance?.name ?? type.title);
  const [config, setConfig] = useState<Record<string, unknown>>(instance ? instance.config : defaultsOf(type.configSchema));
  const [base, setBase] = useState(instance?.config);
  // The server changed the settings (a save, or a connector writing its own, e.g. a generated certificate):
  // take them unless the user is editing.
  useEffect(() => {
    if (!instance || JSON.stringify(instance.config) === JSON.stringify(base)) return;
    if (JSON.stringify(config) === JSON.stringify(base)) setConfig(instance.config);
    setBase(instance.config);
  }, [instance?.updatedAt]);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const hidden = isRoot ? [] : type.rootOnlyFields;
  const refresh = () => void qc.invalidateQueries({ queryKey: ['integrations', tenantId] });
  const cleanSecrets = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v));
  const save = useMutation({
    mutationFn: () => (instance ? api.patch<Integration>(`/tenants/${tenantId}/integrations/${instance.id}`, { name, config }) : api.post<Integration>(`/tenants/${tenantId}/integrations`, { type: type.type, name, enabled: true, config, secrets: cleanSecrets })),
    onSuccess: () => { refresh(); void qc.invalidateQueries({ queryKey: ['catalogue', tenantId] }); onDone?.(); },
  });
  const toggle = useMutation({ mutationFn: () => api.post(`/tenants/${tenantId}/integrations/${instance!.id}/${instance!.enabled ? 'disable' : 'enable'}`), onSuccess: () => { refresh(); void qc.invalidateQueries({ queryKey: ['catalogue', tenantId] }); } });
  const remove = useMutation({ mutationFn: () => api.del(`/tenants/${tenantId}/integrations/${instance!.id}`), onSuccess: refresh });
  const probe = useMutation({
    mutationFn: () => (instance && JSON.stringify(instance.config) === JSON.stringify(config)
      ? api.post<CheckResult>(`/tenants/${tenantId}/integrations/${instance.id}/check`)
      : api.post<CheckResult>(`/tenants/${tenantId}/integrations/check`, { type: type.type, config, secrets: cleanSecrets, ...(instance ? { instanceId: instance.id } : {}) })),
    onSuccess: (r) => { setCheck(r); refresh(); },
  });
  const field = fieldOf(save.error);
  const secretFields = Object.entries(type.secretsSchema.properties ?? {});
  const dirty = !instance || name !== instance.name || JSON.stringify(config) !== JSON.stringify(instance.config);
  return (
    <Paper withBorder p="md" data-instance={instance?.id ?? 'new'}>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack gap="sm">
          <Group justify="space-between">
            <Group gap="xs">
              <Text fw={600}>{instance ? instance.name : `New ${type.title}`}</Text>
              {instance && <Badge color={instance.enabled ? 'green' : 'gray'}>{instance.enabled ? 'Enabled' : 'Disabled'}</Badge>}
              {instance?.copiedFrom && <Badge variant="outline" color="gray">copied from the parent tenant</Badge>}
            </Group>
            {instance && (
              <Group gap="xs">
                <GuardedButton size="xs" variant="default" reason={canWrite ? undefined : 'Your role cannot change integrations'} loading={toggle.isPending} onClick={() => toggle.mutate()}>{instance.enabled ? 'Disable' : 'Enable'}</GuardedButton>
                <GuardedButton size="xs" variant="subtle" color="red" reason={canWrite ? undefined : 'Your role cannot change integrations'} loading={remove.isPending} onClick={() => setConfirmDelete(true)}>Delete</GuardedButton>
              </Group>
            )}
          </Group>
          {instance?.status?.warnings.map((w) => <Alert key={w} color="orange" variant="light" role="status">{w}</Alert>)}
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} disabled={!canWrite} error={field === 'name' ? save.error?.message : undefined} w={360} />
          <SchemaForm schema={type.configSchema} value={config} onChange={setConfig} hidden={hidden} disabled={!canWrite} idPrefix={`${type.type}-${instance?.id ?? 'new'}`}
            error={save.error && field && field !== 'name' ? { field, message: save.error.message } : null} />
          {!isRoot && type.rootOnlyFields.length > 0 && <Text size="xs" c="dimmed">{type.rootOnlyFields.join(', ')}: set on Root only.</Text>}
          <Stack gap="xs">
            <Text size="sm" fw={600}>Secrets (write-only: values are never shown)</Text>
            {instance
              ? secretFields.map(([k, s]) => <SecretRow key={k} tenantId={tenantId} instance={instance} field={k} title={s.title ?? k} description={s.description} canWrite={canWrite} />)
              : secretFields.map(([k, s]) => (
                  <PasswordInput key={k} label={s.title ?? k} description={s.description} required={type.secretsSchema.required?.includes(k)} autoComplete="new-password" w={360}
                    value={secrets[k] ?? ''} onChange={(e) => setSecrets({ ...secrets, [k]: e.currentTarget.value })} error={field === k ? save.error?.message : undefined} />
                ))}
          </Stack>
          <ErrorText error={save.error} />
          <Group>
            {canWrite && <Button type="submit" size="sm" loading={save.isPending} disabled={!dirty}>{instance ? 'Save settings' : 'Create'}</Button>}
            {!instance && <Button size="sm" variant="default" onClick={onDone}>Cancel</Button>}
            <Button size="sm" variant="light" loading={probe.isPending} onClick={() => probe.mutate()}>Check connection</Button>
          </Group>
          <ErrorText error={probe.error} />
          {instance && type.actions.filter((x) => x.targetKinds.length === 1 && x.targetKinds[0] === 'none' && /^(generate|fetch)/.test(x.name)).map((x) => (
            <SetupAction key={x.name} tenantId={tenantId} instance={instance} action={x} canWrite={canWrite} />
          ))}
          <CheckLine result={check ?? instance?.lastCheck ?? null} />
          {instance && <Text size="xs" c="dimmed">Changed {when(instance.updatedAt)}</Text>}
        </Stack>
      </form>
      {instance && (
        <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title={`Delete ${instance.name}?`}>
          <Stack>
            <Text size="sm">The integration stops at once and its settings and secrets are deleted; playbook steps and launches that use it fail until another one is configured. This cannot be undone.</Text>
            <ErrorText error={remove.error} />
            <Group justify="end">
              <Button variant="default" onClick={() => setConfirmDelete(false)} data-autofocus>Cancel</Button>
              <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => setConfirmDelete(false) })}>Delete integration</Button>
            </Group>
          </Stack>
        </Modal>
      )}
    </Paper>
  );
}
