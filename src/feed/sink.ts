/** A sink as the delivery sees it: its secret opened, wherever it was configured. */
export interface Sink {
  id: string;
  url: string;
  /** Standard Webhooks' `whsec_…`. */
  secret: string;
  types?: string[];
  categories?: string[];
  parkAfterSeconds: number;
  source: 'file' | 'ledger';
}

/** The stream name before its first '-' (as GraphQL's `events(category:)` reads it). */
const categoryOf = (stream: string) => {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
};

/** Whether the sink wants this event: every filter given must let it through. */
export function wants(sink: Pick<Sink, 'types' | 'categories'>, e: { type: string; stream: string }): boolean {
  if (sink.types && !sink.types.includes(e.type)) return false;
  return !sink.categories || sink.categories.includes(categoryOf(e.stream));
}
