/** Placeholder until the user page is written. */
export function UserPage(props: { sub: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">User {props.sub}</h1>
    </section>
  );
}
