/** Placeholder until the token page is written. */
export function TokenPage(props: { jti: string }) {
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Token {props.jti}</h1>
    </section>
  );
}
