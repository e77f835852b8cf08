import { Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, type Page, type ResponseAction } from '../api.ts';
import { usePerms, useTenantId } from '../session.ts';
import { HistoryTable } from '../components/HistoryTable.tsx';
import { Empty, Failed, Loading } from '../components/States.tsx';

export function ApprovalsPage() {
  const tenantId = useTenantId();
  const perms = usePerms(tenantId);
  const list = useQuery({
    queryKey: ['approvals', tenantId],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${tenantId}/response/actions?status=awaitingApproval&subtree=true&limit=100`),
    refetchInterval: 10_000,
  });
  return (
    <Stack>
      <Title order={2}>Approvals</Title>
      <Text size="sm" c="dimmed">Response actions waiting for an approver on this tenant and its customers. An action not decided within its window times out and never runs.</Text>
      {!perms.loading && !perms.can('response.approve') && <Text size="sm" c="orange">{perms.why('response.approve')}</Text>}
      {list.isLoading ? <Loading what="the approvals queue" /> : list.error ? <Failed what="the approvals queue" error={list.error} retry={() => list.refetch()} /> : !list.data?.items.length ? (
        <Empty title="Nothing to approve" hint="When an analyst launches an action with “Require approval”, it appears here. The list refreshes every 10 seconds." />
      ) : (
        <HistoryTable tenantId={tenantId} items={list.data.items} decide={perms.can('response.approve')} />
      )}
    </Stack>
  );
}
