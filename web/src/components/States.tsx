import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core';

export function Loading({ what }: { what: string }) {
  return (
    <Center p="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed">Loading {what}…</Text>
      </Group>
    </Center>
  );
}

export function Failed({ error, retry, what }: { error: unknown; retry?: () => void; what: string }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={`Could not load ${what}`} role="alert">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        {retry && (
          <Group>
            <Button size="xs" variant="light" onClick={retry}>
              Retry
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function Empty({ title, hint }: { title: string; hint: string }) {
  return (
    <Center p="xl">
      <Stack gap={4} align="center">
        <Text fw={600}>{title}</Text>
        <Text c="dimmed" size="sm" ta="center" maw={520}>
          {hint}
        </Text>
      </Stack>
    </Center>
  );
}

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <Text c="red" size="sm" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </Text>
  );
}
