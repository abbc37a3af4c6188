import { Refusal } from '../domain/refusal.js';

/**
 * A client_id URL whose metadata document cannot be used: the URL breaks a rule, the fetch failed, or the document
 * was refused. The description says which, for the error page at /authorize and error_description elsewhere.
 */
export class MetadataDocumentRefused extends Refusal {
  override readonly name = 'MetadataDocumentRefused';
  constructor(
    /** The reason alone, for a sentence of one's own (the error page). */
    readonly why: string,
    cause?: unknown,
  ) {
    super('invalid_client', `client ID metadata document refused: ${why}`, {
      status: 401,
      reason: 'metadata_document_refused',
      cause,
    });
  }
}
