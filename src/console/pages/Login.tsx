/** Log in by pasting an API token (`sriovctl token create`, or the one `serve` prints). */
import {
  ActionGroup,
  Alert,
  Bullseye,
  Button,
  Card,
  CardBody,
  CardTitle,
  Form,
  FormGroup,
  FormHelperText,
  HelperText,
  HelperTextItem,
  TextInput,
  Title,
} from '@patternfly/react-core';
import { useState } from 'react';
import { ApiError } from '../lib/problem.js';
import { ProblemAlert } from '../components/states.js';
import { useSessionState } from '../state/session.js';

export function LoginPage() {
  const { login, message } = useSessionState();
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await login(token);
    } catch (err) {
      setError(err instanceof ApiError ? err : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Bullseye
      style={{
        minHeight: '100vh',
        background: 'var(--pf-t--global--background--color--secondary--default)',
      }}
    >
      <Card style={{ width: '32rem' }} data-testid="login-page">
        <CardTitle>
          <Title headingLevel="h1" size="2xl">
            sriovctl console
          </Title>
        </CardTitle>
        <CardBody>
          {message && (
            <Alert
              variant="info"
              isInline
              title={message}
              data-testid="login-message"
              style={{ marginBottom: '1rem' }}
            />
          )}
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <FormGroup label="API token" fieldId="login-token" isRequired>
              <TextInput
                id="login-token"
                type="password"
                value={token}
                onChange={(_e, v) => setToken(v)}
                autoComplete="off"
                data-testid="login-token"
                aria-label="API token"
                validated={error ? 'error' : 'default'}
              />
              <FormHelperText>
                <HelperText>
                  <HelperTextItem>
                    A token from <code>sriovctl token create</code>; it is kept in this tab only.
                  </HelperTextItem>
                </HelperText>
              </FormHelperText>
            </FormGroup>
            {error instanceof ApiError && <ProblemAlert error={error} testId="login-error" />}
            {typeof error === 'string' && (
              <Alert variant="danger" isInline title={error} data-testid="login-error" />
            )}
            <ActionGroup>
              <Button
                type="submit"
                variant="primary"
                isLoading={busy}
                isDisabled={busy || !token.trim()}
                data-testid="login-submit"
              >
                Log in
              </Button>
            </ActionGroup>
          </Form>
        </CardBody>
      </Card>
    </Bullseye>
  );
}
