interface Props {
  title: string;
  testId: string;
  counts: Record<string, number>;
  label: (key: string) => string;
  describe?: (key: string) => string | undefined;
  empty: string;
}

/** A small "thing → count" table, largest first. */
export function CountsTable({ title, testId, counts, label, describe, empty }: Props) {
  const rows = Object.entries(counts).filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
  const id = `${testId}-title`;
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted small" data-testid={testId}>{empty}</p>
      ) : (
        <div class="table-wrap">
          <table data-testid={testId}>
            <tbody>
              {rows.map(([key, count]) => (
                <tr key={key} data-key={key}>
                  <td title={describe?.(key)}>{label(key)}</td>
                  <td style="text-align:right">{count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
