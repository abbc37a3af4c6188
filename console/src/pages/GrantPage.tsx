/** Placeholder until the grant page is written. */
export function GrantPage(props: { id: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Grant {props.id}</h1>
    </section>
  );
}
