/**
 * The pieces every catalog list shares: a row's Edit and Delete (or Revoke) buttons, and the
 * create button above a list that already has rows (an empty list offers it in its empty state).
 */
import { Button, Flex, FlexItem } from '@patternfly/react-core';
import { Td } from '@patternfly/react-table';

/** A row's actions cell: Edit when `onEdit` is given, then the destructive action. */
export function RowActions(p: {
  /** Test ids are `${kind}-edit-${name}` and `${kind}-${verb}-${name}`. */
  kind: string;
  name: string;
  onEdit?: () => void;
  onRemove: () => void;
  /** The destructive action's label (default Delete). */
  remove?: string;
}) {
  const remove = p.remove ?? 'Delete';
  return (
    <Td dataLabel="Actions" modifier="nowrap">
      {p.onEdit && (
        <>
          <Button
            variant="secondary"
            size="sm"
            onClick={p.onEdit}
            data-testid={`${p.kind}-edit-${p.name}`}
          >
            Edit
          </Button>{' '}
        </>
      )}
      <Button
        variant="secondary"
        isDanger
        size="sm"
        onClick={p.onRemove}
        data-testid={`${p.kind}-${remove.toLowerCase()}-${p.name}`}
      >
        {remove}
      </Button>
    </Td>
  );
}

/** The primary create button, right-aligned above a list. */
export function CreateButton(p: { label: string; testId: string; onClick: () => void }) {
  return (
    <Flex justifyContent={{ default: 'justifyContentFlexEnd' }}>
      <FlexItem>
        <Button variant="primary" onClick={p.onClick} data-testid={p.testId}>
          {p.label}
        </Button>
      </FlexItem>
    </Flex>
  );
}
