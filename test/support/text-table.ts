/**
 * The rows of a table the CLI printed, as objects by column name: the header is the line that starts with
 * `firstColumn`, columns start where their names start (so a value printed out of its column reads wrong), and the
 * table ends at the first empty line.
 */
export function readTable(text: string, firstColumn: string): Record<string, string>[] {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.startsWith(`${firstColumn} `) || line === firstColumn);
  if (at === -1) throw new Error(`no table with a column ${firstColumn} in:\n${text}`);
  const header = lines[at]!;
  const names = header.split(/ {2,}/);
  let from = 0;
  const starts = names.map((name) => {
    from = header.indexOf(name, from);
    return from;
  });
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '') break;
    rows.push(
      Object.fromEntries(names.map((name, i) => [name, line.slice(starts[i], starts[i + 1] ?? line.length).trim()])),
    );
  }
  return rows;
}
