import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEMPLATES } from '../src/playbooks/templates.ts';
import { validatePlaybook, type Step } from '../src/playbooks/model.ts';
import { Jq } from '../src/playbooks/jq.ts';
import { createConnectorRegistry } from '../src/integrations/registry-list.ts';
import { validateAgainst } from '../src/integrations/framework/validate.ts';

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
      const types = Array.isArray(step.connector) ? step.connector : [step.connector];
      for (const type of types) {
        const action = registry.get(type)?.actions[step.action];
        assert.ok(action, `${template.id}: ${type} has no action ${step.action}`);
        // Literal parameters must be what the action accepts.
        if (step.params && typeof step.params === 'object') validateAgainst(action.paramsSchema, step.params, `${template.id}.${step.id}.params`);
      }
    }
  }
});
