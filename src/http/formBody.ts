const FORM = /^application\/x-www-form-urlencoded\b/i;

/** Whether a request body is form-encoded, which every OAuth and OIDC endpoint here requires of a body. */
export const isFormEncoded = (contentType: string | undefined): boolean => FORM.test(contentType ?? '');
