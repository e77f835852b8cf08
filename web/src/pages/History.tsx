import { Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, qs, type Page, type ResponseAction } from '../api.ts';
import { usePerms, useTenantId } from '../session.ts';
import { HistoryTable } from '../components/HistoryTable.tsx';
import { GuardedButton } from '../components/Guarded.tsx';
import { LaunchDialog } from '../components/LaunchDialog.tsx';
import { Pager, useCursor } from '../components/Pager.tsx';
import { Empty, Failed, Loading } from '../components/States.tsx';

const STATUSES = ['queued', 'awaitingApproval', 'inProgress', 'succeeded', 'failed', 'rejected', 'timedOut', 'cancelled'];

export function HistoryPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const [status, setStatus] = useState<string | null>(null);
  const [action, setAction] = useState('');
  const [launching, setLaunching] = useState(false);
  const filters = { status: status ?? '', action: action.trim() };
  const pager = useCursor(JSON.stringify([tenantId, filters]));
  const list = useQuery({
    queryKey: ['history', tenantId, filters, pager.cursor],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${tenantId}/response/actions${qs({ ...filters, subtree: true, limit: 25, cursor: pager.cursor })}`),
    placeholderData: (p) => p,
    refetchInterval: (q) => (q.state.data?.items.some((x) => ['queued', 'inProgress'].includes(x.status)) ? 2000 : false),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Response history</Title>
        <GuardedButton reason={perms.why('response.launch')} onClick={() => setLaunching(true)}>New action…</GuardedButton>
      </Group>
      <Group align="end">
        <Select label="Status" placeholder="Any" clearable data={STATUSES} value={status} onChange={setStatus} w={200} />
        <TextInput label="Action" placeholder="e.g. blockIp" value={action} onChange={(e) => setAction(e.currentTarget.value)} w={200} />
      </Group>
      {list.isLoading ? <Loading what="response history" /> : list.error ? <Failed what="response history" error={list.error} retry={() => list.refetch()} /> : !list.data?.items.length ? (
        <Empty title="No response actions" hint={status || action ? 'Clear the filters to see every action.' : 'Launch one from an alert (Observables or Assets tab) or with “New action…”.'} />
      ) : (
        <>
          <HistoryTable tenantId={tenantId} items={list.data.items} />
          <Pager page={pager.page} nextCursor={list.data.nextCursor} onNext={pager.next} onPrev={pager.prev} count={list.data.items.length} />
        </>
      )}
      <LaunchDialog tenantId={tenantId} opened={launching} onClose={() => setLaunching(false)} targets={[]} />
    </Stack>
  );
}
