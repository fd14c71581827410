/** A labelled form field with its problem (as you type or from the API) or its help. */
import { FormGroup, FormHelperText, HelperText, HelperTextItem } from '@patternfly/react-core';
import type { ReactNode } from 'react';

export function FormField({
  id,
  label,
  error,
  help,
  isRequired = false,
  children,
}: {
  id: string;
  label: string;
  error: string | undefined;
  help?: string;
  isRequired?: boolean;
  children: ReactNode;
}) {
  return (
    <FormGroup label={label} fieldId={id} isRequired={isRequired}>
      {children}
      {(error || help) && (
        <FormHelperText>
          <HelperText>
            {error ? (
              <HelperTextItem variant="error" data-testid={`${id}-error`}>
                {error}
              </HelperTextItem>
            ) : (
              <HelperTextItem>{help}</HelperTextItem>
            )}
          </HelperText>
        </FormHelperText>
      )}
    </FormGroup>
  );
}
