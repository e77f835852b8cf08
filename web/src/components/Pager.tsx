import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';

/** Cursor pagination: a stack of the cursors that led to each page. */
export function useCursor(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: (string | undefined)[] }>({ key: resetKey, stack: [undefined] });
  const stack = state.key === resetKey ? state.stack : [undefined];
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (c: string) => setState({ key: resetKey, stack: [...stack, c] }),
    prev: () => setState({ key: resetKey, stack: stack.slice(0, -1) }),
  };
}

export function Pager({ page, nextCursor, onNext, onPrev, count }: { page: number; nextCursor: string | null | undefined; onNext: (c: string) => void; onPrev: () => void; count: number }) {
  return (
    <Group justify="space-between" mt="sm">
      <Text size="sm" c="dimmed">Page {page} · {count} shown</Text>
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={page <= 1} onClick={onPrev}>Previous</Button>
        <Button size="xs" variant="default" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>Next</Button>
      </Group>
    </Group>
  );
}
