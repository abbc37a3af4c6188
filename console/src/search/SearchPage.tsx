/** Token search. */
export function SearchPage() {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Search tokens</h1>
    </section>
  );
}
