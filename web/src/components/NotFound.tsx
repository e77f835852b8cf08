import { Anchor, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';

export function NotFound() {
  return (
    <Stack p="xl" gap="xs">
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">This address does not exist in the console, or the object was deleted.</Text>
      <Anchor component={Link} to="/">Go to the start page</Anchor>
    </Stack>
  );
}
