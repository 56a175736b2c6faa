const count = new Intl.NumberFormat('en-US');
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** "1,234 files, 2.1 GB": how much media there is, for descriptions and summaries (decimal units, like `df -H`). */
export function formatMediaSize(files: number, bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const size = unit === 0 ? `${bytes} bytes` : `${decimal.format(value)} ${UNITS[unit]}`;
  return `${count.format(files)} ${files === 1 ? 'file' : 'files'}, ${size}`;
}
