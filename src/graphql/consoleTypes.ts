import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';

/** The types of the operator console's queries (docs/graphql.md, "The console's queries"). */

@ObjectType({
  description:
    'Counts of one bucket of `activity`, by the time the ledger recorded each event (its recordedAt), from the ' +
    'history index. Kept 48 hours.',
})
export class ActivityBucket {
  @Field(() => DateTimeScalar, { description: 'The first instant of the bucket; it lasts bucketSeconds' })
  at!: Date;
  @Field(() => Int, {
    description: 'Access tokens issued (AccessTokenIssued), by every grant type, refreshes and exchanges included',
  })
  issued!: number;
  @Field(() => Int, { description: 'Of those, the ones issued at a refresh (grant_type refresh_token)' })
  refreshed!: number;
  @Field(() => Int, {
    description:
      'Tokens (access and refresh) whose revocation was recorded in the bucket and that were not revoked before: ' +
      "one for a TokenRevoked, the grant's unrevoked tokens for a GrantRevoked, and the tokens exchanged from them. " +
      'A refresh token rotated out is not counted. Per client: the client of the token, or of the grant',
  })
  revoked!: number;
  @Field(() => Int, { description: 'Failed logins (LoginFailed); per client: the client the login was for' })
  loginFailed!: number;
  @Field(() => Int, {
    description:
      'Failed client authentications (ClientAuthenticationFailed); per client: only those naming a registered client',
  })
  clientAuthFailed!: number;
}

@ObjectType({ description: 'How far behind the ledger an outbound feed sink is' })
class SinkLag {
  @Field(() => String) id!: string;
  @Field(() => Int, { description: 'Ledger positions between the head and what the sink has been given' })
  lag!: number;
  @Field(() => Boolean) parked!: boolean;
}

@ObjectType({ description: 'The latest seal of the ledger (docs/audit-seals.md)' })
class SealSummary {
  @Field(() => Int, { description: 'Events the sealed Merkle tree covers' }) size!: number;
  @Field(() => String, { description: 'The Merkle root, base64url' }) root!: string;
  @Field(() => DateTimeScalar) sealedAt!: Date;
}

@ObjectType({ description: 'Where the ledger and what is built from it stand, as this instance sees them' })
export class LedgerStatus {
  @Field(() => String, { description: "The ledger's head position (a decimal integer)" }) position!: string;
  @Field(() => Int, {
    description:
      'Access tokens in the active-token view: issued, not revoked, and not yet evicted after expiry (every 10 s)',
  })
  liveTokens!: number;
  @Field(() => Int, { description: 'Ledger positions the in-memory views are behind the head' }) viewLag!: number;
  @Field(() => Int, { description: 'Ledger positions the history index is behind the in-memory views' })
  historyIndexLag!: number;
  @Field(() => [SinkLag]) sinks!: SinkLag[];
  @Field(() => SealSummary, { nullable: true, description: 'null: the ledger has never been sealed' })
  lastSeal!: SealSummary | null;
}

@ObjectType({ description: "A JWT's slot in a Token Status List (draft-ietf-oauth-status-list)" })
export class StatusListEntry {
  @Field(() => String, { description: 'The status list token URI (the `status.status_list.uri` claim)' })
  uri!: string;
  @Field(() => Int, { description: 'The bit index (`status.status_list.idx`)' }) index!: number;
}

@ObjectType({ description: 'The first event `verify` finds fault with' })
class BrokenEvent {
  @Field(() => String, { nullable: true, description: 'null: the fault is an event that is not there' })
  position!: string | null;
  @Field(() => String, { nullable: true }) stream!: string | null;
  @Field(() => Int, { nullable: true }) revision!: number | null;
  @Field(() => String, { description: 'What is wrong, as `token-ledger verify` says it' }) reason!: string;
}

@ObjectType({ description: 'What `token-ledger verify` answers for the whole ledger' })
export class LedgerVerification {
  @Field(() => Boolean) ok!: boolean;
  @Field(() => Int) events!: number;
  @Field(() => Int) streams!: number;
  @Field(() => BrokenEvent, { nullable: true, description: 'null when ok' }) firstBroken!: BrokenEvent | null;
}

@ObjectType({ description: 'What `token-ledger replay --until <position> --json` answers: the digest of the views' })
export class ReplayDigest {
  @Field(() => String, { nullable: true, description: 'The position replayed to; null: the whole ledger' })
  position!: string | null;
  @Field(() => String, { description: 'SHA-256 (hex) of the rebuilt views, as the CLI prints it' }) digest!: string;
  @Field(() => Int, { description: 'Events replayed' }) events!: number;
}
