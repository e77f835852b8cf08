import { Alert, Anchor, Badge, Button, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError, type Playbook } from '../api.ts';
import { usePerms, useTenantId } from '../session.ts';
import { Failed, Loading } from '../components/States.tsx';

const META = ['id', 'tenantId', 'version', 'templateId', 'inherited', 'lastTriggerError', 'createdAt', 'updatedAt'];
const SKELETON = {
  name: 'New playbook',
  description: '',
  tags: [],
  scope: 'alert',
  mode: 'manual',
  trigger: null,
  steps: [{ id: 'note', kind: 'updateData', update: { comment: 'Playbook ran' } }],
  enabled: false,
  offerToChildren: false,
};

function definitionOf(p: Playbook): string {
  return JSON.stringify(Object.fromEntries(Object.entries(p).filter(([k]) => !META.includes(k))), null, 2);
}

/** The editor: the playbook's JSON, validated by the server (jq errors are jq's own) before saving. */
export function PlaybookEditorPage() {
  const tenantId = useTenantId();
  const { playbookId = 'new' } = useParams();
  const isNew = playbookId === 'new';
  const perms = usePerms(tenantId);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const pb = useQuery({ queryKey: ['playbook', tenantId, playbookId], queryFn: () => api.get<Playbook>(`/tenants/${tenantId}/playbooks/${playbookId}`), enabled: !isNew });
  const [text, setText] = useState(isNew ? JSON.stringify(SKELETON, null, 2) : '');
  const [result, setResult] = useState<{ ok: boolean; message: string; field?: string } | null>(null);
  useEffect(() => { if (pb.data) setText(definitionOf(pb.data)); }, [pb.data]);
  const parse = (): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      setResult({ ok: false, message: `Not valid JSON: ${(e as Error).message}` });
      return undefined;
    }
  };
  const report = (e: unknown) => setResult({ ok: false, message: e instanceof Error ? e.message : String(e), field: e instanceof ApiError ? e.field : undefined });
  const validate = useMutation({ mutationFn: (body: unknown) => api.post<{ valid: boolean }>(`/tenants/${tenantId}/playbooks/validate`, body), onSuccess: () => setResult({ ok: true, message: 'Valid: the schema and every jq expression check out.' }), onError: report });
  const save = useMutation({
    mutationFn: (body: unknown) => (isNew ? api.post<Playbook>(`/tenants/${tenantId}/playbooks`, body) : api.put<Playbook>(`/tenants/${tenantId}/playbooks/${playbookId}`, body)),
    onSuccess: (p) => { setResult({ ok: true, message: `Saved as version ${p.version}.` }); void qc.invalidateQueries({ queryKey: ['playbooks', tenantId] }); if (isNew) navigate(`/t/${tenantId}/playbooks/${p.id}`, { replace: true }); else void qc.invalidateQueries({ queryKey: ['playbook', tenantId, playbookId] }); },
    onError: report,
  });
  if (!isNew && pb.isLoading) return <Loading what="the playbook" />;
  if (!isNew && pb.error) return <Failed what="the playbook" error={pb.error} retry={() => pb.refetch()} />;
  const readOnly = !!pb.data?.inherited || !perms.can('playbooks.write');
  return (
    <Stack>
      <Anchor component={Link} to={`/t/${tenantId}/playbooks`} size="sm">← Playbooks</Anchor>
      <Group gap="xs">
        <Title order={2}>{isNew ? 'New playbook' : pb.data?.name}</Title>
        {pb.data && <Badge variant="light">v{pb.data.version}</Badge>}
        {pb.data?.inherited && <Badge variant="outline" color="gray">inherited from a parent tenant: read-only</Badge>}
      </Group>
      {readOnly && !pb.data?.inherited && <Text size="sm" c="orange">{perms.why('playbooks.write')}</Text>}
      <Text size="sm" c="dimmed">
        Fields: name, description, tags, scope (alert | incident), mode (auto | training | manual), trigger (jq → true/false), steps (action, updateData, enrichment, branch, split), runTimeoutMinutes, enabled, offerToChildren.
      </Text>
      <Group>
        <Button variant="default" loading={validate.isPending} onClick={() => { const b = parse(); if (b !== undefined) validate.mutate(b); }}>Validate</Button>
        {!readOnly && <Button loading={save.isPending} onClick={() => { const b = parse(); if (b !== undefined) save.mutate(b); }}>{isNew ? 'Create' : 'Save new version'}</Button>}
        {!isNew && <Anchor component={Link} to={`/t/${tenantId}/runs?playbookId=${playbookId}`} size="sm">Runs of this playbook</Anchor>}
      </Group>
      {result && (
        <Alert color={result.ok ? 'green' : 'red'} role={result.ok ? 'status' : 'alert'} title={result.ok ? undefined : result.field ? `At ${result.field.replace(/^body\./, '')}` : 'Not valid'}>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{result.message}</Text>
        </Alert>
      )}
      <Textarea label="Playbook (JSON)" autosize minRows={18} maxRows={26} spellCheck={false} readOnly={readOnly} value={text} onChange={(e) => { setText(e.currentTarget.value); setResult(null); }}
        styles={{ input: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 13 } }}
        error={!!result && !result.ok} />
    </Stack>
  );
}
