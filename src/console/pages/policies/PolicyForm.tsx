/**
 * The policy form: the YAML or JSON typed or uploaded, the two overrides, and Plan; and the
 * policy's problems as the API reports them, each at its line and column.
 */
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  Checkbox,
  Flex,
  FlexItem,
  Form,
  FormGroup,
  List,
  ListItem,
  TextArea,
} from '@patternfly/react-core';
import { useRef } from 'react';
import { ProblemAlert } from '../../components/states.js';
import type { ApiError } from '../../lib/problem.js';
import type { PolicyInput } from './usePolicyPage.js';

/** Where a policy error's field points: a place in the text (`text:LINE:COL spec.x`) or a field. */
export function where(field: string): string {
  const m = /^(?:body\.)?text:(\d+):(\d+)\s*(.*)$/.exec(field);
  return m
    ? `line ${m[1]}, column ${m[2]}${m[3] ? ` (${m[3]})` : ''}`
    : field.replace(/^body\./, '');
}

/** "Upload a file…" and the uploaded file's name; the file's text replaces the policy's. */
function PolicyUpload({ input }: { input: PolicyInput }) {
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <Flex alignItems={{ default: 'alignItemsCenter' }} style={{ marginBottom: '0.5rem' }}>
      <FlexItem>
        <Button
          variant="secondary"
          size="sm"
          onClick={() => fileInput.current?.click()}
          data-testid="policy-upload"
        >
          Upload a file…
        </Button>
        <input
          ref={fileInput}
          type="file"
          accept=".yaml,.yml,.json,text/yaml,application/json"
          hidden
          data-testid="policy-file"
          aria-label="Policy file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            void f.text().then((t) => {
              input.setText(t);
              input.setFilename(f.name);
            });
            e.target.value = '';
          }}
        />
      </FlexItem>
      {input.filename && (
        <FlexItem className="sriov-muted" data-testid="policy-filename">
          {input.filename}
        </FlexItem>
      )}
    </Flex>
  );
}

/** The policy form; Plan is disabled while the text is empty or a request or apply runs. */
export function PolicyForm({
  input,
  canPlan,
  planning,
  onPlan,
}: {
  input: PolicyInput;
  canPlan: boolean;
  planning: boolean;
  onPlan: () => void;
}) {
  return (
    <Card>
      <CardBody>
        <Form
          onSubmit={(e) => {
            e.preventDefault();
            onPlan();
          }}
        >
          <FormGroup
            label="Policy (YAML or JSON; several documents separated by ---)"
            fieldId="policy-text"
          >
            <PolicyUpload input={input} />
            <TextArea
              id="policy-text"
              value={input.text}
              onChange={(_e, v) => input.setText(v)}
              rows={14}
              resizeOrientation="vertical"
              className="sriov-mono"
              placeholder={
                'apiVersion: sriovctl.io/v1alpha1\nkind: NodePolicy\nmetadata: { name: … }\nspec: …'
              }
              aria-label="Policy text"
              data-testid="policy-text"
              spellCheck={false}
            />
          </FormGroup>
          <Checkbox
            id="policy-allow-default-route"
            label="Allow changes to the PF that carries the default route"
            isChecked={input.allowDefaultRoute}
            onChange={(_e, v) => input.setAllowDefaultRoute(v)}
            data-testid="policy-allow-default-route"
          />
          <Checkbox
            id="policy-force"
            label="Force (override the other refusals)"
            isChecked={input.force}
            onChange={(_e, v) => input.setForce(v)}
            data-testid="policy-force"
          />
          <ActionGroup>
            <Button
              type="submit"
              variant="primary"
              isDisabled={!canPlan}
              isLoading={planning}
              data-testid="policy-plan"
            >
              Plan
            </Button>
          </ActionGroup>
        </Form>
      </CardBody>
    </Card>
  );
}

/** The API's problem, and the policy's own problems each at its place. */
export function PolicyErrors({ error }: { error: ApiError }) {
  const errors = error.problem.errors;
  return (
    <>
      <ProblemAlert error={error} testId="policy-problem" />
      {errors && errors.length > 0 && (
        <Alert
          variant="danger"
          isInline
          title="Problems in the policy"
          data-testid="policy-errors"
          style={{ marginTop: '0.5rem' }}
        >
          <List>
            {errors.map((e, i) => (
              <ListItem key={i} data-testid="policy-error" data-field={e.field}>
                <strong>{where(e.field)}</strong>: {e.message}
              </ListItem>
            ))}
          </List>
        </Alert>
      )}
    </>
  );
}
