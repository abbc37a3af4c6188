/** Placeholder until the client page is written. */
export function ClientPage(props: { clientId: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Client {props.clientId}</h1>
    </section>
  );
}
