import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { forbiddenAddress } from './addressRanges.js';

/** Every address a host name resolves to; tests give their own (a rebinding name, say). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

/** The error a refusal becomes: each caller reports it in its own terms. */
type Refuse = (why: string, cause?: unknown) => Error;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))),
  );

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The connection's DNS step: a name is resolved once, every address it has is checked, and the connection goes to one
 * of exactly those addresses. A name that resolves to a private address a moment after it resolved to a public one
 * (DNS rebinding) is refused at this step, because no second resolution follows it.
 */
export function guardedLookup(resolve: Resolve, refuse: Refuse) {
  const checked = (hostname: string, addresses: LookupAddress[]): LookupAddress[] => {
    if (addresses.length === 0) throw refuse(`${hostname} has no address`);
    for (const { address } of addresses) {
      const why = forbiddenAddress(address);
      if (why) throw refuse(`${hostname} resolves to a ${why} address (${address})`);
    }
    return addresses;
  };
  const unresolved = (hostname: string) => (err: NodeJS.ErrnoException) => {
    throw refuse(`${hostname} does not resolve (${err.code ?? err.message})`, err);
  };
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname)
      .then((addresses) => checked(hostname, addresses), unresolved(hostname))
      .then(
        (addresses) => {
          if (options.all) callback(null, addresses);
          else callback(null, addresses[0].address, addresses[0].family);
        },
        (err: Error) => callback(err, []),
      );
  };
}
