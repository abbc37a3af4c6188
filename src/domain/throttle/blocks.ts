/** A block: until when (epoch ms), and how many failures had been counted when it was set. */
export interface Block {
  until: number;
  failures: number;
}

export type ThrottleScope = 'client' | 'login';

/** How the `throttles` view and the throttles name one counted thing, e.g. `client/ip/192.0.2.1`. */
export const sharedKey = (scope: ThrottleScope, tier: string, subject: string) => `${scope}/${tier}/${subject}`;
