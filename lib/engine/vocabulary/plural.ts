/** A count with its noun in the right number: `1 live peer`, `2 live peers`, `1 entry`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
