import type { FastifyReply, FastifyRequest } from 'fastify';
import { epochSeconds } from '../application/ports.js';
import { rememberOnce } from '../application/rememberOnce.js';
import { oneTimeJtiHash } from '../domain/assertions/streams.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { DPoPNonces } from '../crypto/dpopNonce.js';
import {
  DPOP_IAT_WINDOW_S,
  DPoPProofError,
  dpopHeader,
  parseProof,
  verifyProof,
  type NonceCheck,
  type ParsedProof,
  type VerifiedProof,
} from '../crypto/dpopProof.js';
import type { Runtime } from '../runtime.js';
import { OAuthError } from '../oauth/errors.js';
import { FAPI2_ALGS } from '../domain/clients/securityProfile.js';

/**
 * RFC 9449 at an endpoint: the proof read and checked in two steps (the cheap structural one may run before the
 * client or token is known, the signature only after), its jti recorded once everything passed, and the nonces of
 * DPOP_NONCE=required. A request without a DPoP header costs one header read.
 */
export class DPoPGate {
  private readonly nonces: DPoPNonces | undefined;
  private readonly nonceCheck: NonceCheck | undefined;

  constructor(private readonly runtime: Runtime) {
    this.nonces = runtime.config.dpopNonceRequired ? new DPoPNonces(runtime.keyEncryptionSecret) : undefined;
    const nonces = this.nonces;
    this.nonceCheck = nonces && ((nonce, now) => nonces.accepts(nonce, now));
  }

  private now(): number {
    return epochSeconds(this.runtime.ports.clock);
  }

  /** The request's proof, structurally checked (throws DPoPProofError), or undefined when it has no DPoP header. */
  parse(request: FastifyRequest): ParsedProof | undefined {
    const header = dpopHeader(request.headers, request.raw.rawHeaders);
    return header === undefined ? undefined : parseProof(header);
  }

  /** The rest of RFC 9449 §4.3, the signature last; nothing is written (see `record`). */
  check(
    request: FastifyRequest,
    parsed: ParsedProof,
    htu: string,
    accessToken: string | undefined,
  ): Promise<VerifiedProof> {
    return verifyProof(parsed, {
      htm: request.method,
      htu,
      nowSeconds: this.now(),
      accessToken,
      nonce: this.nonceCheck,
    });
  }

  /**
   * RFC 9449 §11.1: the jti of a proof that passed every check, recorded durably (a proof already used is refused on
   * every instance, also after a restart). Nothing is written for a proof refused before this.
   */
  async record(proof: VerifiedProof, ctx: CommandContext): Promise<void> {
    const jtiHash = oneTimeJtiHash('dpop', proof.jkt, proof.jti);
    // Remembered as long as the proof's iat could still be accepted.
    const exp = Math.max(0, Math.floor(proof.iat) + DPOP_IAT_WINDOW_S);
    const first = await rememberOnce(
      this.runtime.ports,
      { type: 'DPoPProofUsed', data: { jkt: proof.jkt, jtiHash, exp } },
      ctx,
    );
    if (!first) throw new DPoPProofError('invalid_dpop_proof', 'the DPoP proof was used before (its jti is known)');
  }

  /**
   * The proof's structure and signature checked (`fapi2`: with the FAPI 2.0 Security Profile's algorithms only, §5.4)
   * and its jti recorded: what /token and /par ask of a proof once the client is known.
   */
  async accept(
    request: FastifyRequest,
    parsed: ParsedProof,
    htu: string,
    ctx: CommandContext,
    fapi2: boolean,
  ): Promise<VerifiedProof> {
    if (fapi2 && !FAPI2_ALGS.includes(parsed.alg))
      throw new DPoPProofError(
        'invalid_dpop_proof',
        `the DPoP proof alg must be one of ${FAPI2_ALGS.join(' ')} (FAPI 2.0 Security Profile)`,
      );
    const proof = await this.check(request, parsed, htu, undefined);
    await this.record(proof, ctx);
    return proof;
  }

  /** RFC 9449 §5: a refused proof at an authorization server endpoint is a 400, with the nonce to use when required. */
  refused(err: unknown): unknown {
    if (!(err instanceof DPoPProofError)) return err;
    const nonce = this.nonce();
    return new OAuthError(400, err.code, err.message, nonce === undefined ? {} : { 'dpop-nonce': nonce });
  }

  /** The nonce to send as `DPoP-Nonce` when nonces are required, else undefined. */
  nonce(): string | undefined {
    return this.nonces?.issue(this.now());
  }

  /** RFC 9449 §8: a successful answer carries the nonce to use next, when nonces are required. */
  sendNonce(reply: FastifyReply): void {
    if (this.nonces) reply.header('dpop-nonce', this.nonces.issue(this.now()));
  }
}
