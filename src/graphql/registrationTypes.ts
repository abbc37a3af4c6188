import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from './scalars.js';
import { relayConnection } from './types.js';

/** What a self-registering client may ask for (src/domain/registration/policy.ts); every field absent: anything. */
@ObjectType('RegistrationPolicy', {
  description: 'What a client that registers itself may ask for; a null field allows what the server allows',
})
export class RegistrationPolicyNode {
  @Field(() => [String], { nullable: true }) grantTypes!: string[] | null;
  @Field(() => String, { nullable: true, description: 'Space-separated scopes a registration may name' })
  scope!: string | null;
  @Field(() => [String], {
    nullable: true,
    description: 'Every redirect URI must start with one of these (e.g. http://127.0.0.1: for loopback only)',
  })
  redirectUriPrefixes!: string[] | null;
  @Field(() => Int, { nullable: true, description: 'Longest access_token_ttl a registration may ask for, seconds' })
  maxAccessTokenTtl!: number | null;
  @Field(() => Int, {
    nullable: true,
    description: 'Registrations one address (IPv6 /64) may attempt per hour; null: REGISTRATION_RATE_PER_IP',
  })
  registrationsPerIpPerHour!: number | null;
}

@InputType({ description: 'A registration policy; omitted fields allow what the server allows' })
export class RegistrationPolicyInput {
  @Field(() => [String], { nullable: true }) grantTypes?: string[] | null;
  @Field(() => String, { nullable: true }) scope?: string | null;
  @Field(() => [String], { nullable: true }) redirectUriPrefixes?: string[] | null;
  @Field(() => Int, { nullable: true }) maxAccessTokenTtl?: number | null;
  @Field(() => Int, { nullable: true }) registrationsPerIpPerHour?: number | null;
}

export enum RegistrationPolicySource {
  LEDGER = 'LEDGER',
  FILE = 'FILE',
  DEFAULT = 'DEFAULT',
  NONE = 'NONE',
}
registerEnumType(RegistrationPolicySource, {
  name: 'RegistrationPolicySource',
  description:
    'Where the policy in force comes from: set through GraphQL (it replaces the file), REGISTRATION_POLICY_FILE, ' +
    'the built-in one of open registration (authorization_code and refresh_token only), or none',
});

@ObjectType({ description: 'The registration policy in force, where it comes from, and the file one' })
export class EffectiveRegistrationPolicy {
  @Field(() => RegistrationPolicySource) source!: RegistrationPolicySource;
  @Field(() => RegistrationPolicyNode) policy!: RegistrationPolicyNode;
  @Field(() => DateTimeScalar, { nullable: true, description: 'LEDGER: when it was set' }) setAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'LEDGER: who set it' }) setBy!: string | null;
  @Field(() => String, { nullable: true, description: 'LEDGER: the reason given' }) reason!: string | null;
  @Field(() => RegistrationPolicyNode, {
    nullable: true,
    description: "REGISTRATION_POLICY_FILE's policy, in force when none is set through GraphQL",
  })
  filePolicy!: RegistrationPolicyNode | null;
}

export enum InitialAccessTokenStatus {
  ACTIVE = 'ACTIVE',
  EXPIRED = 'EXPIRED',
  USED_UP = 'USED_UP',
  REVOKED = 'REVOKED',
}
registerEnumType(InitialAccessTokenStatus, { name: 'InitialAccessTokenStatus' });

@ObjectType({
  description:
    'An initial access token (RFC 7591 §3). Its id is the SHA-256 of the token (256 random bits): it names the ' +
    'token and its ledger stream iat-<id>, and cannot be used in its place',
})
export class InitialAccessToken {
  @Field(() => ID) id!: string;
  @Field(() => InitialAccessTokenStatus) status!: InitialAccessTokenStatus;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => String, { nullable: true }) createdBy!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'null: it does not expire' }) expiresAt!: Date | null;
  @Field(() => Int, { nullable: true, description: 'Registrations it allowed when minted; null: any number' })
  uses!: number | null;
  @Field(() => Int, { nullable: true, description: 'null: any number' }) usesLeft!: number | null;
  @Field(() => Int) usedCount!: number;
  @Field(() => DateTimeScalar, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => Boolean) revoked!: boolean;
  @Field(() => DateTimeScalar, { nullable: true }) revokedAt!: Date | null;
  @Field(() => RegistrationPolicyNode, {
    nullable: true,
    description: 'Narrows the server policy for registrations with it',
  })
  policy!: RegistrationPolicyNode | null;
}

export const InitialAccessTokenConnection = relayConnection('InitialAccessToken', InitialAccessToken, {
  nullable: false,
});
export type InitialAccessTokenConnection = InstanceType<typeof InitialAccessTokenConnection>;

@ObjectType({ description: 'A token just minted: the only place it ever appears' })
export class MintedInitialAccessToken {
  @Field(() => String, { description: 'Shown this once; only its SHA-256 (the id) is kept' }) token!: string;
  @Field(() => InitialAccessToken) initialAccessToken!: InitialAccessToken;
}
