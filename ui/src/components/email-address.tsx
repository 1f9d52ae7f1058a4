/**
 * An email address that may wrap after its "@" and before each dot of its domain (and at its hyphens, as any text):
 * on a phone, a long address broke inside its words ("beispielu|nternehmen"). <wbr> adds break points without
 * adding characters, so a copied address stays as it is.
 */
import { Fragment } from 'preact';

export function EmailAddress({ value }: { value: string }) {
  const at = value.lastIndexOf('@');
  if (at < 0) return <>{value}</>;
  const labels = value.slice(at + 1).split('.');
  return (
    <>
      {value.slice(0, at + 1)}
      {labels.map((label, index) => (
        <Fragment key={index}>
          <wbr />
          {index > 0 ? '.' : ''}
          {label}
        </Fragment>
      ))}
    </>
  );
}
