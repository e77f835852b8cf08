import { Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, itemKey, itemPath, type Comment, type ItemRef, type Page, type ResponseAction } from '../api.ts';
import { when } from '../format.ts';
import { usePerms } from '../session.ts';
import { HistoryTable } from './HistoryTable.tsx';
import { Empty, ErrorText, Failed, Loading } from './States.tsx';

/**
 * The Response history tab of an alert or an incident: the entries launched on it (same query and
 * cache as the KASAP panel's), refreshed while actions run.
 */
export function ItemHistory({ item }: { item: ItemRef }) {
  const perms = usePerms(item.tenantId);
  const list = useQuery({
    queryKey: ['history', item.tenantId, item.kind, item.id],
    queryFn: () => api.get<Page<ResponseAction>>(`/tenants/${item.tenantId}/response/actions?${item.kind}Id=${item.id}&limit=100`),
    enabled: perms.can('history.read'),
    refetchInterval: (q) => (q.state.data?.items.some((x) => ['queued', 'inProgress'].includes(x.status)) ? 1500 : false),
  });
  if (!perms.loading && !perms.can('history.read')) return <Text c="dimmed">{perms.why('history.read')}</Text>;
  if (list.isLoading) return <Loading what="response history" />;
  if (list.error) return <Failed what="response history" error={list.error} retry={() => list.refetch()} />;
  const scope = item.kind === 'incident' ? <Text size="xs" c="dimmed">Actions launched from this incident. Those launched from a linked alert's own page are in that alert's Response history.</Text> : null;
  if (!list.data?.items.length) {
    return (
      <Stack>
        <Empty title="No response actions yet" hint={`Select observables or assets${item.kind === 'incident' ? ' of this incident' : ''} and choose Respond… to block, isolate or open a ticket.`} />
        {scope}
      </Stack>
    );
  }
  return (
    <Stack gap="xs">
      {scope}
      <HistoryTable tenantId={item.tenantId} items={list.data.items} />
    </Stack>
  );
}

/** The Comments tab of an alert or an incident. */
export function CommentsTab({ item, comments }: { item: ItemRef; comments: Comment[] }) {
  const perms = usePerms(item.tenantId);
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const add = useMutation({
    mutationFn: () => api.post(`${itemPath(item)}/comments`, { text }),
    onSuccess: () => { setText(''); void qc.invalidateQueries({ queryKey: itemKey(item) }); },
  });
  return (
    <Stack maw={800}>
      {comments.length === 0 && <Text c="dimmed" size="sm">No comments yet.</Text>}
      {comments.map((c) => (
        <Paper key={c.id} withBorder p="sm">
          <Text size="xs" c="dimmed">{c.authorName} · {when(c.createdAt)}</Text>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{c.text}</Text>
        </Paper>
      ))}
      <form onSubmit={(e) => { e.preventDefault(); if (text.trim()) add.mutate(); }}>
        <Stack gap="xs">
          <Textarea label="Add a comment" autosize minRows={2} value={text} onChange={(e) => setText(e.currentTarget.value)} disabled={!perms.can('alerts.write')} description={perms.why('alerts.write')} />
          <ErrorText error={add.error} />
          <Group><Button type="submit" size="xs" disabled={!perms.can('alerts.write') || !text.trim()} loading={add.isPending}>Comment</Button></Group>
        </Stack>
      </form>
    </Stack>
  );
}
